/// Real-looking merchant-name templates per category, the way they appear on card statements.
/// `#` → digit, `@` → letter or digit, `{CITY}` → city; `countries` empty means anywhere.
struct MerchantNameTemplate: Sendable {
    let pattern: String
    let countries: [String]
    init(_ pattern: String, _ countries: [String] = []) {
        self.pattern = pattern
        self.countries = countries
    }
}

extension MerchantCategory {
    var nameTemplates: [MerchantNameTemplate] {
        typealias T = MerchantNameTemplate
        switch self {
        case .groceries: return [
            T("TESCO STORES ####", ["GB", "IE"]), T("SAINSBURYS S/MKTS", ["GB"]), T("ASDA STORES ####", ["GB"]),
            T("WAITROSE ####", ["GB"]), T("CO-OP GROUP ######", ["GB"]), T("M&S SIMPLY FOOD ####", ["GB"]),
            T("LIDL {CITY} ####"), T("ALDI #### {CITY}"), T("CARREFOUR MARKET {CITY}", ["FR", "ES", "IT"]),
            T("MONOPRIX {CITY}", ["FR"]), T("REWE MARKT GMBH", ["DE"]), T("EDEKA {CITY} ###", ["DE"]),
            T("ALBERT HEIJN ####", ["NL"]), T("JUMBO {CITY}", ["NL"]), T("MERCADONA {CITY}", ["ES"]),
            T("ESSELUNGA {CITY}", ["IT"]), T("CONAD {CITY}", ["IT"]), T("DUNNES STORES", ["IE"]),
            T("WHOLEFDS {CITY} ####", ["US"]), T("TRADER JOE S #### {CITY}", ["US"]), T("KROGER #####", ["US"]),
            T("SAFEWAY ####", ["US", "CA"]), T("LOBLAWS ####", ["CA"]), T("LAWSON ######", ["JP"]),
            T("FAMILYMART {CITY}", ["JP"]), T("7-ELEVEN ######", ["JP", "US", "KR"]), T("AEON {CITY}", ["JP"]),
            T("COLES ####", ["AU"]), T("WOOLWORTHS ####", ["AU"]), T("CARREFOUR HYPER {CITY}", ["AE", "BH", "KW", "OM"]),
            T("LULU HYPERMARKET ###", ["AE", "BH", "KW", "OM"]), T("FAIRPRICE ####", ["SG"]), T("COOP {CITY}", ["CH"]),
            T("MIGROS {CITY}", ["CH"]), T("ICA NARA {CITY}", ["SE"]), T("BIEDRONKA ####", ["PL"]), T("PINGO DOCE", ["PT"]),
            T("BIGBASKET", ["IN"]), T("RELIANCE FRESH ####", ["IN"]), T("EMART {CITY}", ["KR"]),
        ]
        case .fuel: return [
            T("SHELL ##### {CITY}"), T("BP #### {CITY}"), T("ESSO {CITY} ###"), T("TOTALENERGIES {CITY}"),
            T("ARAL TANKSTELLE ####", ["DE"]), T("REPSOL {CITY}", ["ES", "PT"]), T("ENI STATION ####", ["IT"]),
            T("CHEVRON #######", ["US"]), T("EXXONMOBIL ####", ["US"]), T("ENEOS {CITY}", ["JP"]),
            T("ADNOC #### {CITY}", ["AE"]), T("ORLEN ####", ["PL"]), T("CIRCLE K ####"),
        ]
        case .restaurants: return [
            T("PRET A MANGER ####", ["GB", "US", "FR"]), T("NANDOS {CITY}", ["GB", "IE", "AU"]), T("WAGAMAMA {CITY}", ["GB", "IE"]),
            T("PIZZA EXPRESS ####", ["GB"]), T("ZETTLE_*THE RED LION", ["GB"]), T("SQ *BLUE BOTTLE COFFEE"),
            T("SUMUP *TRATTORIA DA MARIO"), T("LE PETIT BISTRO {CITY}", ["FR"]), T("BRASSERIE DU PARC", ["FR"]),
            T("SUMUP *BAR EL TOSTADO", ["ES"]), T("RISTORANTE LA PERGOLA", ["IT"]), T("GASTSTAETTE ZUM HIRSCH", ["DE"]),
            T("TST* SHAKE SHACK ###", ["US"]), T("OLIVE GARDEN ####", ["US"]), T("CHIPOTLE ####", ["US"]),
            T("SUSHIRO {CITY}", ["JP"]), T("YOSHINOYA ####", ["JP"]), T("CAFE NERO {CITY}"), T("STARBUCKS #####"),
            T("COSTA COFFEE #####", ["GB", "AE"]), T("DISHOOM {CITY}", ["GB"]), T("THE IVY {CITY}", ["GB"]),
            T("DELIVEROO*RESTAURANT", ["GB", "FR", "IE", "AE"]), T("UBER   *EATS HELP.UBER.COM"),
        ]
        case .fastFood: return [
            T("MCDONALDS #####"), T("BURGER KING ####"), T("KFC {CITY} ###"), T("SUBWAY #####"),
            T("GREGGS ####", ["GB"]), T("FIVE GUYS {CITY}"), T("TACO BELL ####", ["US"]), T("TIM HORTONS ###", ["CA"]),
            T("DOMINOS PIZZA ####"), T("JUST EAT*ORDER ######", ["GB", "IE", "ES", "IT"]),
        ]
        case .rideshare: return [
            T("UBER *TRIP HELP.UBER.COM"), T("UBER   *TRIP @@@@@@"), T("BOLT.EU/O/####", ["GB", "DE", "FR", "PL", "PT", "SE"]),
            T("FREENOW*{CITY}", ["DE", "IE", "ES", "GB"]), T("LYFT   *RIDE ###", ["US", "CA"]), T("GRAB*@@@@@@", ["SG"]),
            T("CAREEM RIDE", ["AE", "BH", "KW", "OM"]), T("GO TAXI {CITY}", ["JP"]), T("OLA CABS", ["IN"]),
        ]
        case .publicTransport: return [
            T("TFL TRAVEL CH", ["GB"]), T("TRAINLINE.COM", ["GB", "FR", "ES", "IT"]), T("DB VERTRIEB GMBH", ["DE"]),
            T("BVG {CITY}", ["DE"]), T("SNCF INTERNET", ["FR"]), T("RATP {CITY}", ["FR"]), T("RENFE VIAJEROS", ["ES"]),
            T("TRENITALIA", ["IT"]), T("NS GROEP IZ REIZIGERS", ["NL"]), T("MTA*NYCT PAYGO", ["US"]),
            T("JR EAST {CITY}", ["JP"]), T("SBB CFF FFS", ["CH"]), T("SL {CITY}", ["SE"]), T("TRANSPORT FOR {CITY}"),
        ]
        case .onlineRetail: return [
            T("AMZN Mktp UK*@@@@@@@@@", ["GB"]), T("AMAZON.DE*@@@@@@@@@", ["DE"]), T("AMAZON.FR*@@@@@@@@@", ["FR"]),
            T("AMAZON.ES*@@@@@@@@@", ["ES"]), T("AMAZON.IT*@@@@@@@@@", ["IT"]), T("AMZN Mktp US*@@@@@@@@@", ["US"]),
            T("AMAZON.CO.JP", ["JP"]), T("EBAY O*##-#####-#####"), T("ZALANDO SE", ["DE", "NL", "FR", "IT", "ES", "PL", "CH", "SE"]),
            T("ETSY.COM*@@@@@@@@"), T("ALIEXPRESS.COM"), T("ASOS.COM", ["GB", "IE"]), T("ARGOS LTD", ["GB"]),
            T("BOL.COM", ["NL"]), T("OTTO GMBH", ["DE"]), T("CDISCOUNT", ["FR"]), T("TARGET.COM *", ["US"]),
            T("WALMART.COM ####", ["US"]), T("RAKUTEN*@@@@@@", ["JP"]), T("NOON.COM", ["AE", "BH", "KW", "OM"]),
            T("FLIPKART INTERNET", ["IN"]), T("SHEIN.COM"), T("TEMU.COM"), T("PAYPAL *@@@@@@@@"),
        ]
        case .subscriptions: return [
            T("NETFLIX.COM"), T("SPOTIFY P@@@@@@@@@"), T("APPLE.COM/BILL"), T("GOOGLE *YOUTUBEPREMIUM"),
            T("DISNEYPLUS"), T("AMAZON PRIME*@@@@@@@@@"), T("MICROSOFT*XBOX"), T("ADOBE  *CREATIVE CLD"),
            T("DROPBOX*@@@@@@@@@"), T("AUDIBLE*@@@@@@@@@"), T("NYTIMES*NYTIMES.COM", ["US"]), T("PURE GYM LTD", ["GB"]),
            T("GOOGLE *GOOGLE ONE"), T("ICLOUD STORAGE"),
        ]
        case .pharmacy: return [
            T("BOOTS ####", ["GB", "IE"]), T("SUPERDRUG ####", ["GB"]), T("LLOYDS PHARMACY", ["GB"]),
            T("CVS/PHARMACY #####", ["US"]), T("WALGREENS #####", ["US"]), T("DM DROGERIE MARKT", ["DE"]),
            T("ROSSMANN ####", ["DE", "PL"]), T("APOTHEKE AM MARKT", ["DE", "CH"]), T("PHARMACIE DU CENTRE", ["FR"]),
            T("FARMACIA {CITY} ##", ["ES", "IT", "PT"]), T("MATSUMOTOKIYOSHI", ["JP"]), T("SHOPPERS DRUG MART ###", ["CA"]),
            T("GUARDIAN PHARMACY", ["SG"]), T("APOLLO PHARMACY", ["IN"]), T("BOOTS PHARMACY {CITY}", ["AE", "BH", "KW"]),
            T("KRUIDVAT ####", ["NL"]), T("PHARMACY {CITY} ###"),
        ]
        case .clothing: return [
            T("H&M ####"), T("ZARA {CITY}"), T("PRIMARK {CITY}", ["GB", "IE", "DE", "ES", "FR", "NL", "PT"]),
            T("UNIQLO {CITY}"), T("NEXT RETAIL LTD", ["GB"]), T("MARKS&SPENCER PLC", ["GB", "IE"]), T("TK MAXX ####", ["GB", "DE", "PL"]),
            T("C&A MODE ####", ["DE", "NL"]), T("GAP #####", ["US"]), T("NIKE STORE ###"), T("MANGO {CITY}"),
        ]
        case .airlines: return [
            T("BRITISH AIRWAYS ###########"), T("RYANAIR ##########"), T("EASYJET ########"), T("LUFTHANSA ##########"),
            T("AIR FRANCE ##########"), T("KLM ##########"), T("DELTA AIR ##########"), T("UNITED ##########"),
            T("JAPAN AIRLINES ##########"), T("EMIRATES ##########"), T("GULF AIR ##########"), T("VUELING ##########"),
            T("WIZZ AIR ##########"), T("SINGAPORE AIR ##########"), T("QATAR AIRWAYS ##########"),
        ]
        case .hotels: return [
            T("MARRIOTT {CITY}"), T("HILTON HOTELS {CITY}"), T("PREMIER INN ####"), T("IBIS {CITY}"),
            T("HOLIDAY INN {CITY}"), T("NOVOTEL {CITY}"), T("BOOKING.COM HOTEL"), T("AIRBNB * HM@@@@@@@@"),
            T("EXPEDIA ##########"), T("HOTEL CENTRAL {CITY}"), T("NH HOTEL {CITY}"), T("APA HOTEL {CITY}"),
        ]
        case .electronics: return [
            T("CURRYS ####", ["GB", "IE"]), T("APPLE STORE R###"), T("MEDIAMARKT {CITY}", ["DE", "ES", "IT", "NL", "PL", "CH"]),
            T("SATURN {CITY}", ["DE"]), T("FNAC {CITY}", ["FR", "ES", "PT"]), T("DARTY {CITY}", ["FR"]),
            T("BEST BUY #####", ["US", "CA"]), T("BIC CAMERA {CITY}", ["JP"]), T("YODOBASHI CAMERA", ["JP"]),
            T("SHARAF DG {CITY}", ["AE", "BH", "KW", "OM"]), T("JB HI-FI ###", ["AU"]), T("SAMSUNG.COM/@@"),
            T("DELL MARKETING", ["US", "GB", "IE"]), T("COOLBLUE", ["NL"]), T("ELGIGANTEN", ["SE"]), T("CROMA {CITY}", ["IN"]),
        ]
        case .furniture: return [
            T("IKEA {CITY}"), T("DFS TRADING LTD", ["GB"]), T("WAYFAIR*@@@@@@@"), T("JOHN LEWIS ####", ["GB"]),
            T("MAISONS DU MONDE", ["FR", "ES", "IT"]), T("XXXLUTZ {CITY}", ["DE"]), T("HOME DEPOT #####", ["US"]),
            T("NITORI {CITY}", ["JP"]), T("POTTERY BARN ####", ["US"]), T("HOME CENTRE {CITY}", ["AE", "BH", "KW"]),
        ]
        case .giftCards: return [
            T("GIFTCARDMALL.COM"), T("RAISE.COM*GIFTCARD"), T("PAYSAFECARD.COM"), T("STEAMGAMES.COM ####"),
            T("GOOGLE *GOOGLE PLAY"), T("APPLE GIFT CARD ONLINE"), T("AMAZON GIFT CARDS*@@@@@@"), T("CARDCASH.COM"),
            T("PREPAIDGIFTBALANCE"), T("RAZER GOLD*@@@@@@"), T("EGIFTER*@@@@@@"), T("DUNDLE.COM"),
        ]
        case .cryptoExchange: return [
            T("COINBASE UK"), T("COINBASE.COM *@@@@"), T("BINANCE.COM"), T("KRAKEN.COM"), T("CRYPTO.COM"),
            T("BITSTAMP LTD"), T("MOONPAY *@@@@@@"), T("BITPANDA GMBH"), T("BYBIT*@@@@@@"), T("OKX.COM"),
            T("PAXFUL*@@@@@@"), T("CHANGELLY"),
        ]
        case .gambling: return [
            T("BET365"), T("PADDYPOWER.COM"), T("WILLIAM HILL"), T("DRAFTKINGS", ["US"]), T("FANDUEL", ["US"]),
            T("POKERSTARS"), T("BETFAIR"), T("SKY BETTING"), T("888CASINO"), T("STAKE.COM"),
        ]
        case .moneyTransfer: return [
            T("WESTERN UNION ######"), T("MONEYGRAM #####"), T("WISE"), T("REMITLY*@@@@@@"), T("WORLDREMIT"),
            T("RIA MONEY TRANSFER"), T("SKRILL.COM"), T("PAYEER*@@@@@@"),
        ]
        case .jewelry: return [
            T("PANDORA {CITY}"), T("SWAROVSKI {CITY}"), T("TIFFANY & CO"), T("H.SAMUEL ####", ["GB"]),
            T("ERNEST JONES ###", ["GB"]), T("CHRIST JUWELIER", ["DE"]), T("BUCHERER {CITY}"), T("JOYALUKKAS {CITY}", ["AE", "BH", "KW", "IN"]),
        ]
        case .atmCash: return [T("ATM {BANK} {CITY} ####")]
        case .oddOnline: return [
            T("DONATE*RELIEFHELP.ORG"), T("WWW.KWIKPAYS.NET"), T("SQ *JAYS CANDLES"), T("PP*XPRSVPN @@@@"),
            T("SOFTPAY*DIGITALGOODS"), T("HELPINGHANDS-CHARITY"), T("TIPJAR*ONLINE @@@"), T("SMS-VERIFY.IO"),
            T("WIKIMEDIA DONATE"), T("GUMROAD.COM*@@@@"), T("KO-FI.COM*@@@@@@"), T("NAMECHEAP.COM"),
            T("STRIPE*TRIAL-CHECK"), T("LINKTREE*PRO"), T("ONLYWALLPAPERS.APP"), T("PADDLE.NET* APPSUMO"),
        ]
        }
    }
}
