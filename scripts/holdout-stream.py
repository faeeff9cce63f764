#!/usr/bin/env python3
"""A third, independent, seeded transaction stream for hold-out checks of txguard.

Card-not-present e-commerce / app payments of marketplace customers in India (INR, UTC+5:30) and
Brazil (BRL, UTC-3); both currencies have 2 ISO 4217 minor units, so amounts are strings with
exactly 2 decimals, priced like shop prices ("1299.00", "89.90") or cart totals ("2317.46").
Default: 32,000 customers at the start plus ~2,000 who open accounts during the 45 days,
about 210k events. Channels "app", "web", "recurring"; card_id and device_id on most events;
merchant names are readable marketplace sellers, app stores, food delivery, ride hailing, telecom
recharge, utilities, streaming, gaming top-ups, gift cards, crypto exchanges, travel, with free-text
descriptions (order items, plan names, "Parcela 3/10", "EMI 2 of 6").

Shape: weekly seasonality (weekend food delivery and shopping, weekday ride hailing), monthly
seasonality (pay-day boost on days 1-5, end-of-month dip, bills and subscriptions on fixed days,
28-day prepaid recharges, Brazilian "parcelado" and Indian EMI instalments charged every 30 days
at night) and ONE global event: a 3-day festival sale (days 30-32 of 45, i.e. the second half)
during which every customer's discretionary rate rises 2-4x and shopping baskets 2-4x.

Fraud types (labels: transaction_id, is_fraud, fraud_type, lookalike):
  bust_out                 an established customer behaves normally for weeks, then within 1-2 days
                           makes 10-25 purchases at 3-15x their usual amount across many categories
                           (electronics, jewellery, gift cards, flights, crypto), own device
  gaming_topup_laundering  a compromised account makes 15-40 small fixed-denomination gaming /
                           gift-card top-ups within a few hours, from devices never seen before
  triangulation            1-4 mid-amount orders at a reputable domestic merchant in the home
                           currency, but `country` (IP / ship-to) is a foreign country; new device
  synthetic_identity       an account first seen in the second half makes 3-8 purchases at 93-99.9%
                           of a fixed credit limit (INR 50,000 / 100,000; BRL 5,000 / 10,000) in 1-3 days
  promo_abuse              rings of 20-45 new accounts sharing 1-2 devices each place 1-2 small
                           first-order coupon orders at quick-commerce / food-delivery apps
Benign look-alikes (lookalike tag, is_fraud false): festival_big_basket (a festival-day purchase
at > 3x the customer's usual basket), moved_abroad (customers who relocate mid-stream: foreign
country, foreign currency, new device), new_account (first 5 events of legitimately new accounts,
which often start with a first-order coupon).

  python3 scripts/holdout-stream.py --seed 1 --events out.jsonl.gz --labels out.labels.jsonl
"""
import argparse, gzip, json, math
from datetime import datetime, timezone

import numpy as np

DAY = 86400.0
TZ = {"IN": 5.5 * 3600, "BR": -3 * 3600}
CUR = {"IN": "INR", "BR": "BRL"}
FX = {"INR": 1.0, "BRL": 16.5, "AED": 22.8, "USD": 84.0, "GBP": 107.0, "EUR": 91.0, "SGD": 63.0, "CAD": 61.0}
FESTIVAL = (29, 32)              # local days [29, 32): the 30th-32nd day

# category: (mcc list, median amount INR, sigma, hour profile, weekend factor)
CATS = {
    "marketplace": (["5399", "5311"], 1400, 0.9, "shop", 1.25),
    "electronics": (["5732"], 9000, 0.9, "shop", 1.2),
    "fashion":     (["5651", "5691"], 1800, 0.7, "shop", 1.3),
    "beauty":      (["5977"], 900, 0.6, "shop", 1.2),
    "grocery":     (["5411"], 650, 0.6, "day", 1.3),
    "food":        (["5814", "5812"], 420, 0.5, "meal", 1.4),
    "ride":        (["4121"], 260, 0.6, "commute", 0.7),
    "appstore":    (["5818"], 220, 0.8, "evening", 1.1),
    "gaming":      (["5816"], 300, 0.8, "late", 1.3),
    "giftcard":    (["5947"], 1500, 0.7, "shop", 1.1),
    "crypto":      (["6051"], 6000, 1.2, "any", 1.0),
    "travel":      (["4511", "4722"], 7500, 0.7, "day", 0.9),
    "movies":      (["7832"], 600, 0.5, "evening", 1.6),
    "pharmacy":    (["5912"], 480, 0.7, "day", 1.0),
}
CAT_NAMES = list(CATS)
CAT_W = np.array([22, 5, 9, 5, 12, 22, 12, 5, 4, 2, 1, 2, 3, 4], float)
SHOPPING = {"marketplace", "electronics", "fashion", "beauty", "grocery", "giftcard"}

MERCH = {
    "IN": {
        "marketplace": ["Amazon.in Marketplace", "Flipkart", "Meesho", "Snapdeal", "Tata CLiQ",
                        "JioMart", "ShopClues", "Amazon.in - Sri Balaji Traders",
                        "Flipkart Seller - RetailNet", "Meesho Seller - Kavya Fashions Surat"],
        "electronics": ["Croma Online", "Reliance Digital", "Vijay Sales", "Apple Store Online India",
                        "Samsung Shop India", "Flipkart Seller - SuperComNet", "Poorvika Mobiles"],
        "fashion": ["Myntra", "AJIO", "Nykaa Fashion", "Bewakoof", "Lifestyle Stores Online",
                    "Westside Online", "Souled Store"],
        "beauty": ["Nykaa", "Purplle", "Mamaearth", "Sugar Cosmetics", "Plum Goodness"],
        "grocery": ["BigBasket", "Blinkit", "Zepto", "Swiggy Instamart", "DMart Ready", "JioMart Groceries"],
        "food": ["Swiggy", "Zomato", "Domino's Pizza India", "EatSure", "McDonald's India Online",
                 "Behrouz Biryani", "Box8"],
        "ride": ["Uber India", "Ola Cabs", "Rapido Bike Taxi", "BluSmart", "Namma Yatri"],
        "appstore": ["Google Play Store", "Apple App Store India", "Google One Storage", "Kuku FM",
                     "Pocket FM"],
        "gaming": ["Garena Free Fire Diamonds", "Midasbuy BGMI UC", "Google Play - Clash of Clans",
                   "Roblox Robux India", "Codashop India", "Ludo King Coins"],
        "giftcard": ["Amazon Pay Gift Card", "Flipkart Gift Card", "Woohoo Gift Cards",
                     "Myntra Gift Card", "Google Play Gift Code India"],
        "crypto": ["WazirX", "CoinDCX", "CoinSwitch", "ZebPay", "Mudrex"],
        "travel": ["MakeMyTrip", "IndiGo Airlines", "Air India Online", "Goibibo", "Cleartrip",
                   "IRCTC e-Ticket", "redBus"],
        "movies": ["BookMyShow", "PVR INOX Online", "Paytm Movies", "District by Zomato"],
        "pharmacy": ["PharmEasy", "Tata 1mg", "Apollo 24|7 Pharmacy", "Netmeds", "Truemeds"],
    },
    "BR": {
        "marketplace": ["Mercado Livre", "Amazon.com.br", "Shopee Brasil", "Americanas.com",
                        "Magazine Luiza", "Casas Bahia Online", "Mercado Livre - Loja Eletro Silva",
                        "Shopee - Loja Bella Casa", "AliExpress Brasil"],
        "electronics": ["Fast Shop", "Kabum!", "Magalu Eletronicos", "Apple Store Brasil",
                        "Samsung Shop Brasil", "Ponto Frio Online", "Pichau Informatica"],
        "fashion": ["Renner Online", "C&A Brasil", "Riachuelo", "Zattini", "Netshoes", "Dafiti", "Shein Brasil"],
        "beauty": ["O Boticario", "Natura", "Sephora Brasil", "Beleza na Web", "Epoca Cosmeticos"],
        "grocery": ["Pao de Acucar Mais", "Carrefour Mercado Online", "Daki", "Ze Delivery",
                    "Rappi Mercado", "Oba Hortifruti Online"],
        "food": ["iFood", "Rappi", "McDonald's Delivery BR", "Burger King Brasil App", "Habib's Delivery",
                 "Outback Delivery", "99Food"],
        "ride": ["Uber Brasil", "99 Taxi", "99Pop", "InDrive Brasil", "Cabify Brasil"],
        "appstore": ["Google Play Store BR", "Apple App Store BR", "Google One BR", "Tinder Gold BR",
                     "Duolingo Super BR"],
        "gaming": ["Free Fire - Recarga Jogo", "Roblox Robux BR", "Codashop Brasil",
                   "Steam Wallet Brasil", "PlayStation Store BR", "League of Legends RP BR"],
        "giftcard": ["Cartao Presente Americanas", "Gift Card Google Play BR", "Xbox Gift Card BR",
                     "Netflix Cartao Pre-pago", "Gift Card iFood"],
        "crypto": ["Mercado Bitcoin", "Binance Brasil", "Foxbit", "NovaDAX", "Bitso Brasil"],
        "travel": ["LATAM Airlines Brasil", "GOL Linhas Aereas", "Azul Linhas Aereas", "Decolar.com",
                   "123milhas", "ClickBus", "Booking.com BR"],
        "movies": ["Ingresso.com", "Cinemark Online", "Sympla", "Eventim Brasil"],
        "pharmacy": ["Drogasil", "Droga Raia", "Pague Menos Online", "Drogaria Sao Paulo", "Panvel Online"],
    },
}
ITEMS = {
    "marketplace": ["Prestige Induction Cooktop", "Milton Thermosteel Flask 1L", "Boat Rockerz 450 Headphones",
                    "Cotton Bedsheet Double", "Philips Trimmer BT3221", "Yoga Mat 6mm", "Steel Water Bottle Set",
                    "Air Fryer 4.2L", "Kindle Paperwhite", "Jogo de Panelas Tramontina", "Fone JBL Tune 510",
                    "Kit Toalhas 5 pecas", "Garrafa Termica Stanley", "Liquidificador Mondial"],
    "electronics": ["Samsung Galaxy A35 5G", "Redmi Note 13 Pro", "iPhone 15 128GB", "Sony WH-1000XM5",
                    "HP 15s Laptop i5", "LG 43in 4K Smart TV", "Apple Watch SE", "Notebook Lenovo IdeaPad",
                    "Smart TV Samsung 50", "Galaxy Tab S9 FE", "PlayStation 5 Slim", "Echo Dot 5th Gen"],
    "fashion": ["Levi's 511 Jeans", "Kurta Set Cotton", "Nike Revolution 6", "Puma T-shirt Pack",
                "Tenis Olympikus", "Vestido Midi Floral", "Camiseta Basica", "Saree Banarasi Silk"],
    "beauty": ["Lakme Sunscreen SPF50", "Maybelline Fit Me Foundation", "Perfume Malbec 100ml",
               "Kit Skincare Natura", "Minimalist Niacinamide Serum", "Shampoo Elseve"],
    "grocery": ["Weekly groceries", "Fruits and vegetables", "Atta 10kg + Dal", "Milk, bread, eggs",
                "Cesta basica", "Hortifruti e padaria", "Cerveja e gelo"],
    "food": ["Chicken Biryani + Coke", "Paneer Butter Masala combo", "Farmhouse Pizza Medium",
             "Masala Dosa x2", "Acai 500ml", "Combo Big Mac", "Marmita executiva", "Pizza calabresa grande"],
    "ride": ["Trip", "Airport trip", "Bike taxi ride", "Corrida", "Viagem"],
    "appstore": ["App purchase", "In-app subscription", "Storage 100GB monthly", "Premium unlock"],
    "gaming": ["Diamonds top-up", "UC pack", "Robux 800", "Coins pack", "Recarga diamantes", "Wallet top-up"],
    "giftcard": ["E-gift card", "Gift voucher", "Vale presente digital"],
    "crypto": ["Buy BTC", "Buy USDT", "Deposit via card", "Compra de BTC", "Buy ETH"],
    "travel": ["Flight DEL-BOM", "Flight BLR-CCU", "Hotel booking 2 nights", "Bus ticket", "Voo GRU-REC",
               "Passagem onibus SP-RJ", "Train ticket 3A"],
    "movies": ["2 movie tickets", "Concert ticket", "Ingresso cinema x2", "Stand-up comedy show"],
    "pharmacy": ["Prescription medicines", "Vitamins and supplements", "Medicamentos", "Dermocosmeticos"],
}
SUBS = {
    "IN": [("Netflix India", "4899", 649), ("Spotify India", "4899", 119), ("Disney+ Hotstar", "4899", 299),
           ("Amazon Prime India", "4899", 299), ("YouTube Premium India", "4899", 149),
           ("Zomato Gold", "5814", 149), ("LIC Premium Online", "6300", 2350)],
    "BR": [("Netflix Brasil", "4899", 44.90), ("Spotify Brasil", "4899", 21.90), ("Globoplay", "4899", 24.90),
           ("Amazon Prime Brasil", "4899", 19.90), ("Disney+ Brasil", "4899", 33.90),
           ("iFood Clube", "5814", 5.95), ("Porto Seguro Auto Parcela", "6300", 312.40)],
}
RECHARGE = {"IN": [("Jio Prepaid Recharge", [199, 239, 299, 349, 479, 666, 719]),
                   ("Airtel Prepaid Recharge", [179, 265, 299, 359, 549, 719]),
                   ("Vi Prepaid Recharge", [199, 269, 299, 479])],
            "BR": [("Recarga Vivo", [15, 20, 30, 40, 50]), ("Recarga Claro", [15, 20, 30, 50]),
                   ("Recarga TIM", [12, 20, 30, 50])]}
UTIL = {"IN": ["BESCOM Electricity Bill", "Tata Power Mumbai", "Adani Electricity", "MSEDCL Bill Payment",
               "Indraprastha Gas Limited", "ACT Fibernet Broadband", "Airtel Postpaid Bill"],
        "BR": ["Enel Sao Paulo Conta de Luz", "Sabesp Conta de Agua", "CEMIG Fatura", "Comgas Fatura",
               "Vivo Fibra Fatura", "Claro Net Fatura", "Light Rio Conta"]}
ABROAD = {
    "IN": [("AE", "AED"), ("US", "USD"), ("GB", "GBP"), ("SG", "SGD"), ("CA", "CAD")],
    "BR": [("PT", "EUR"), ("US", "USD"), ("ES", "EUR"), ("GB", "GBP")],
}
ABROAD_MERCH = {
    "AE": [("Noon.com", "5399"), ("Talabat UAE", "5814"), ("Careem", "4121"), ("Carrefour UAE Online", "5411"),
           ("Amazon.ae", "5399"), ("du Prepaid Recharge", "4814")],
    "US": [("Amazon.com", "5399"), ("DoorDash", "5814"), ("Uber Trip US", "4121"), ("Walmart.com", "5411"),
           ("Target.com", "5311"), ("T-Mobile Prepaid", "4814")],
    "GB": [("Tesco.com", "5411"), ("Deliveroo", "5814"), ("Uber UK", "4121"), ("Amazon.co.uk", "5399"),
           ("Argos Online", "5311"), ("giffgaff Top-up", "4814")],
    "SG": [("Grab", "4121"), ("Shopee SG", "5399"), ("foodpanda SG", "5814"), ("Lazada SG", "5399"),
           ("FairPrice Online", "5411")],
    "CA": [("Amazon.ca", "5399"), ("SkipTheDishes", "5814"), ("Uber Canada", "4121"), ("Loblaws PC Express", "5411")],
    "PT": [("Worten.pt", "5732"), ("Glovo Portugal", "5814"), ("Bolt Portugal", "4121"),
           ("Continente Online", "5411"), ("FNAC Portugal", "5399")],
    "ES": [("Glovo Spain", "5814"), ("Cabify Espana", "4121"), ("El Corte Ingles Online", "5311"),
           ("Mercadona Online", "5411")],
}
TRI_MERCH = {"IN": [("Amazon.in Marketplace", "5399"), ("Flipkart", "5399"), ("Croma Online", "5732"),
                    ("Reliance Digital", "5732"), ("Tata CLiQ", "5399")],
             "BR": [("Mercado Livre", "5399"), ("Magazine Luiza", "5399"), ("Americanas.com", "5399"),
                    ("Fast Shop", "5732"), ("Casas Bahia Online", "5399")]}
TRI_COUNTRIES = ["US", "GB", "NG", "AE", "RO", "MY", "ID", "VN", "UA", "PH", "TR", "CN", "RU", "KE", "BD"]
TRI_ITEMS = ["Apple AirPods Pro 2", "Samsung Galaxy Buds2 Pro", "Nike Air Max 270", "Canon EOS 1500D Kit",
             "Garmin Forerunner 255", "JBL Flip 6 Speaker", "Dyson Airwrap Brush", "Ray-Ban Wayfarer"]
GAME_TOPUP = {"IN": [("Garena Free Fire Diamonds", "5816", [99, 199, 399, 799, 1599]),
                     ("Midasbuy BGMI UC", "5816", [89, 449, 899, 1799]),
                     ("Google Play Gift Code India", "5947", [100, 300, 500, 1000, 1500]),
                     ("Razer Gold PIN India", "5816", [250, 500, 1000, 2000]),
                     ("Steam Wallet Code INR", "5816", [200, 500, 1000]),
                     ("Codashop India", "5816", [149, 299, 599, 1199])],
              "BR": [("Free Fire - Recarga Jogo", "5816", [4.90, 9.90, 19.90, 49.90, 99.90]),
                     ("Roblox Robux BR", "5816", [19.90, 39.90, 99.90]),
                     ("Gift Card Google Play BR", "5947", [15, 30, 50, 100, 200]),
                     ("Steam Wallet Brasil", "5816", [20, 50, 100]),
                     ("Razer Gold PIN BR", "5816", [25, 50, 100, 200])]}
BUST_CATS = [("electronics", "5732"), ("jewel", "5944"), ("giftcard", "5947"), ("travel", "4511"),
             ("marketplace", "5399"), ("fashion", "5651"), ("crypto", "6051")]
JEWEL = {"IN": ["Tanishq Online", "CaratLane", "Malabar Gold Online", "BlueStone Jewellery"],
         "BR": ["Vivara Online", "Pandora Brasil", "HStern Online", "Life by Vivara"]}
PROMO_MERCH = {"IN": [("Zepto", "5411"), ("Blinkit", "5411"), ("Swiggy Instamart", "5411"), ("Swiggy", "5814"),
                      ("Zomato", "5814")],
               "BR": [("iFood", "5814"), ("Rappi", "5814"), ("Ze Delivery", "5411"), ("Daki", "5411")]}
COUPON = {"IN": ["WELCOME150", "NEW100", "FIRST50", "TRYNEW"], "BR": ["BEMVINDO20", "PRIMEIRA15", "NOVO10"]}

HOUR_PROFILES = {
    "shop":    [1, .6, .3, .2, .2, .3, .6, 1.2, 2, 2.6, 3, 3.2, 3.5, 3.3, 3.2, 3.2, 3.3, 3.5, 3.8, 4.3, 5, 5.6, 5, 2.8],
    "day":     [.3, .2, .1, .1, .1, .3, 1, 2.5, 4, 4.5, 4.6, 4.6, 4.3, 4.1, 4, 4, 4.1, 4.4, 4.6, 4.2, 3.5, 2.5, 1.5, .8],
    "meal":    [.8, .4, .2, .1, .1, .1, .2, .5, 1.2, 1.5, 1.4, 2.5, 5.5, 6, 3.5, 1.6, 1.5, 2, 3.2, 5.5, 7, 6.5, 4, 2],
    "commute": [.8, .5, .3, .3, .6, 1.5, 3, 6, 7, 5.5, 3, 2.5, 2.6, 2.5, 2.5, 2.8, 3.5, 5.5, 7, 6, 4, 3, 2.2, 1.4],
    "evening": [1.5, 1, .5, .3, .2, .2, .4, .8, 1.2, 1.5, 1.8, 2, 2.3, 2.3, 2.2, 2.3, 2.6, 3, 3.6, 4.5, 5.5, 6, 5, 3],
    "late":    [3.5, 2.8, 2, 1.2, .6, .3, .3, .4, .7, 1, 1.3, 1.6, 2, 2.2, 2.4, 2.8, 3.2, 3.8, 4.4, 5, 5.8, 6.2, 6, 5],
    "any":     [2] * 24,
}
HP = {k: np.array(v) / np.sum(v) for k, v in HOUR_PROFILES.items()}


def fmt_amount(inr, cur, rng, style=None):
    """A shop-like price in `cur` for a value given in INR."""
    x = max(inr / FX[cur], 0.5 if cur != "INR" else 10.0)
    style = style or ("price" if rng.random() < 0.6 else "cart")
    if style == "cart":
        return f"{round(x, 2):.2f}"
    if cur == "INR":
        if x < 100:
            v = float(int(x))
        else:
            mag = 10 ** max(int(math.log10(x)) - 1, 1)
            v = math.ceil(x / mag) * mag - 1.0
        return f"{max(v, 1.0):.2f}"
    v = math.floor(x) + (0.90 if rng.random() < 0.6 else 0.99)
    return f"{v:.2f}"


class Gen:
    def __init__(self, seed, n, days):
        self.rng = r = np.random.default_rng(seed)
        self.seed, self.n0, self.days = seed, n, days
        self.start = datetime(2026, 10, 1, tzinfo=timezone.utc).timestamp()   # midnight UTC, Oct 1
        self.rows = []          # (t, tiebreak, record, label)
        self.k = 0
        n_new = n // 16
        N = n + n_new
        self.N = N
        self.home = np.where(r.random(N) < 0.7, "IN", "BR")
        self.acct = [f"{'c' if h == 'IN' else 'u'}{x:012x}" for h, x in zip(self.home, r.integers(1 << 44, 1 << 48, N))]
        self.arrive = np.zeros(N)
        self.arrive[n:] = r.uniform(0, days - 1, n_new)
        self.rate = r.gamma(0.85, 0.062 / 0.85, N)              # discretionary events / day
        self.scale = np.exp(r.normal(0.0, 0.55, N))             # basket scale
        self.pref = r.dirichlet(CAT_W / CAT_W.sum() * 6.0, N)
        self.fest_rate = r.uniform(2.0, 4.0, N)
        self.fest_basket = r.uniform(2.0, 4.0, N)
        self.card = [[self.newid("card")] + ([self.newid("card")] if r.random() < 0.3 else []) for _ in range(N)]
        self.dev = [[self.newid("dev")] + ([self.newid("dev")] if r.random() < 0.35 else []) for _ in range(N)]
        self.web_share = r.beta(1.5, 4.0, N)
        self.fav = np.zeros((N, len(CAT_NAMES)), int)
        for j, c in enumerate(CAT_NAMES):
            m = len(MERCH["IN"][c])
            w = 1.0 / (np.arange(m) + 1.0) ** 1.1
            self.fav[:, j] = r.choice(m, N, p=w / w.sum())
        self.moved = {}         # customer -> (day, country, currency, device)
        self.nonew = set()      # customers whose events fraud logic overrides

    def newid(self, kind):
        x = int(self.rng.integers(1 << 40, 1 << 52))
        return f"{kind}_{x:013x}" if kind != "dev" else f"d-{x:x}"

    # ------------------------------------------------------------------ emission
    def local_ts(self, c_home, day, hour_frac):
        return self.start + day * DAY + hour_frac * 3600.0 - TZ[c_home]

    def emit(self, t, acct, amount, cur, merch, mcc, country, channel, card, dev, desc,
             fraud=None, look=None, extra=None):
        rec = {"transaction_id": None, "account_id": acct, "timestamp": t, "amount": amount, "currency": cur,
               "merchant_name": merch, "merchant_category": mcc, "country": country, "channel": channel}
        if card:
            rec["card_id"] = card
        if dev:
            rec["device_id"] = dev
        if desc:
            rec["description"] = desc
        if extra:
            rec.update(extra)
        self.k += 1
        self.rows.append((t, self.k, rec, (fraud, look)))

    def hour(self, profile):
        h = self.rng.choice(24, p=HP[profile])
        return h + self.rng.random()

    def pick_dev(self, i, channel):
        d = self.dev[i]
        if self.rng.random() < 0.03:                  # occasional new browser / reinstall
            nd = self.newid("dev")
            d.append(nd)
            return nd
        if channel == "web" and len(d) > 1:
            return d[1]
        return d[0] if self.rng.random() < 0.9 else d[int(self.rng.integers(len(d)))]

    def order_no(self, home):
        x = int(self.rng.integers(10 ** 11, 10 ** 12))
        return f"OD{x}" if home == "IN" else f"#{x % 10 ** 9}"

    # ------------------------------------------------------------------ benign
    def discretionary(self):
        r = self.rng
        wkf = np.array([CATS[c][4] for c in CAT_NAMES])
        for d in range(self.days):
            date = datetime.fromtimestamp(self.start + d * DAY, timezone.utc)
            dow, dom = date.weekday(), date.day
            weekend = dow >= 5
            month = 1.45 if dom <= 5 else (0.8 if dom >= 25 else (1.1 if dom <= 10 else 1.0))
            week = 1.15 if weekend else (0.92 if dow in (1, 2) else 1.0)
            fest = FESTIVAL[0] <= d < FESTIVAL[1]
            lam = self.rate * month * week * (self.fest_rate if fest else 1.0)
            lam = np.where(self.arrive <= d + 1, lam, 0.0)
            cnt = r.poisson(lam)
            for i in np.nonzero(cnt)[0]:
                p = self.pref[i] * (wkf if weekend else 2.0 - wkf)
                p = p / p.sum()
                for _ in range(cnt[i]):
                    j = r.choice(len(CAT_NAMES), p=p)
                    hf = self.hour(CATS[CAT_NAMES[j]][3])
                    t = self.local_ts(self.home[i], d, hf)
                    if t < self.start + self.arrive[i] * DAY:
                        continue
                    self.purchase(i, j, t, d, fest)

    def purchase(self, i, j, t, d, fest):
        r = self.rng
        c = CAT_NAMES[j]
        mccs, med, sig, _, _ = CATS[c]
        home = self.home[i]
        inr = med * self.scale[i] * math.exp(r.normal(0, sig))
        look = None
        desc_prefix = ""
        if fest and c not in ("ride", "pharmacy"):
            mult = self.fest_basket[i] if c in SHOPPING or c == "travel" else 1.0 + (self.fest_basket[i] - 1) / 3
            inr *= mult * math.exp(r.normal(0, 0.2))
            if inr > 3.0 * med * self.scale[i]:
                look = "festival_big_basket"
            desc_prefix = "Festive Sale: " if home == "IN" else "Mega Liquidacao: "
        mv = self.moved.get(i)
        if mv and t >= mv[0] and r.random() < 0.8:
            _, ctry, cur, dev = mv
            name, mcc = ABROAD_MERCH[ctry][int(r.integers(len(ABROAD_MERCH[ctry])))]
            self.emit(t, self.acct[i], fmt_amount(inr * 1.3, cur, r), cur, name, mcc, ctry,
                      "app" if r.random() < 0.75 else "web", self.card[i][0], dev,
                      f"Order {self.order_no('IN')}", look="moved_abroad")
            return
        merch_list = MERCH[home][c]
        m = self.fav[i, j] if r.random() < 0.55 else int(r.integers(len(merch_list)))
        m = m % len(merch_list)
        name = merch_list[m]
        mcc = mccs[0] if len(mccs) == 1 or r.random() < 0.7 else mccs[1]
        channel = "web" if r.random() < self.web_share[i] else "app"
        item = ITEMS[c][int(r.integers(len(ITEMS[c])))]
        desc = f"{desc_prefix}Order {self.order_no(home)} - {item}"
        extra = None
        # instalments: Brazil parcelado / India EMI for big tickets
        total = inr
        n_inst = 1
        if home == "BR" and inr / FX["BRL"] > 250 and r.random() < 0.65:
            n_inst = int(r.choice([2, 3, 4, 5, 6, 10, 12]))
        elif home == "IN" and inr > 12000 and r.random() < 0.3:
            n_inst = int(r.choice([3, 6, 9, 12]))
        cur = CUR[home]
        if n_inst > 1:
            per = total / n_inst
            amt = f"{round(per / FX[cur], 2):.2f}"
            lab = (lambda k: f"Parcela {k}/{n_inst}") if home == "BR" else (lambda k: f"EMI {k} of {n_inst}")
            self.emit(t, self.acct[i], amt, cur, name, mcc, home, channel, self.card[i][0], self.pick_dev(i, channel),
                      f"{desc} - {lab(1)}", look=look, extra={"installments": n_inst})
            for k in range(2, n_inst + 1):
                tk = t + 30 * DAY * (k - 1)
                tk = self.start + math.floor((tk - self.start) / DAY) * DAY + r.uniform(2, 6) * 3600 - TZ[home]
                if tk >= self.start + self.days * DAY:
                    break
                self.emit(tk, self.acct[i], amt, cur, name, mcc, home, "recurring", self.card[i][0], None,
                          f"{item} - {lab(k)}", extra={"installments": n_inst})
            return
        card = self.card[i][0] if len(self.card[i]) == 1 or r.random() < 0.75 else self.card[i][1]
        self.emit(t, self.acct[i], fmt_amount(inr, cur, r), cur, name, mcc, home, channel, card,
                  self.pick_dev(i, channel), desc, look=look)

    def recurring(self):
        r = self.rng
        end = self.start + self.days * DAY
        for i in range(self.N):
            home = self.home[i]
            cur = CUR[home]
            a0 = self.start + self.arrive[i] * DAY
            # subscriptions on a fixed day of month
            for s in r.choice(len(SUBS[home]), int(r.choice([0, 0, 0, 1, 1, 2])), replace=False):
                name, mcc, price = SUBS[home][s]
                dom = int(r.integers(1, 29))
                for mo in (10, 11):
                    t = datetime(2026, mo, dom, tzinfo=timezone.utc).timestamp() + r.uniform(1, 7) * 3600 - TZ[home]
                    if a0 <= t < end:
                        self.emit(t, self.acct[i], f"{price:.2f}", cur, name, mcc, home, "recurring",
                                  self.card[i][0], None, f"{name} monthly plan")
            # prepaid recharge every 28 days (India 70%, Brazil 40%)
            if r.random() < (0.7 if home == "IN" else 0.4):
                op = RECHARGE[home][int(r.integers(len(RECHARGE[home])))]
                plan = float(op[1][int(r.integers(len(op[1])))])
                t = self.start + r.uniform(0, 28) * DAY
                num = int(r.integers(6000000000, 9999999999))
                while t < end:
                    if t >= a0:
                        hf = self.hour("day")
                        tt = self.start + math.floor((t - self.start) / DAY) * DAY + hf * 3600 - TZ[home]
                        self.emit(tt, self.acct[i], f"{plan:.2f}", cur, op[0], "4814", home, "app",
                                  self.card[i][0], self.dev[i][0],
                                  f"Mobile recharge {str(num)[:4]}XXXX{str(num)[-2:]} plan {int(plan)}")
                    t += (28 if home == "IN" else 30) * DAY + r.normal(0, 1.2) * DAY
            # utility bill once a month between day 3 and 15
            if r.random() < 0.35:
                name = UTIL[home][int(r.integers(len(UTIL[home])))]
                base = math.exp(r.normal(math.log(1800), 0.6))
                dom = int(r.integers(3, 16))
                for mo in (10, 11):
                    t = datetime(2026, mo, dom, tzinfo=timezone.utc).timestamp() + self.hour("day") * 3600 - TZ[home]
                    if a0 <= t < end:
                        self.emit(t, self.acct[i], fmt_amount(base * math.exp(r.normal(0, 0.2)), cur, r, "cart"),
                                  cur, name, "4900", home, "web" if r.random() < 0.4 else "app", self.card[i][0],
                                  self.dev[i][0], f"Bill payment consumer no. {int(r.integers(10**9, 10**10))}")
            # instalment plans that started before the window
            if self.arrive[i] == 0 and r.random() < (0.3 if home == "BR" else 0.08):
                for _ in range(int(r.integers(1, 3))):
                    n_inst = int(r.choice([3, 6, 10, 12]))
                    k0 = int(r.integers(2, n_inst + 1))
                    c = "electronics" if r.random() < 0.5 else "marketplace"
                    name = MERCH[home][c][int(r.integers(len(MERCH[home][c])))]
                    item = ITEMS[c][int(r.integers(len(ITEMS[c])))]
                    per = CATS[c][1] * self.scale[i] * math.exp(r.normal(0.5, 0.5)) / n_inst
                    t = self.start + r.uniform(0, 30) * DAY
                    k = k0
                    while t < end and k <= n_inst:
                        tt = self.start + math.floor((t - self.start) / DAY) * DAY + r.uniform(2, 6) * 3600 - TZ[home]
                        lab = f"Parcela {k}/{n_inst}" if home == "BR" else f"EMI {k} of {n_inst}"
                        self.emit(tt, self.acct[i], f"{round(per / FX[cur], 2):.2f}", cur, name, CATS[c][0][0], home,
                                  "recurring", self.card[i][0], None, f"{item} - {lab}",
                                  extra={"installments": n_inst})
                        t += 30 * DAY
                        k += 1

    def new_account_first_orders(self):
        """Legitimately new accounts: a first-order coupon order and tagging of the first events."""
        r = self.rng
        for i in range(self.n0, self.N):
            if r.random() < 0.7:
                home = self.home[i]
                name, mcc = PROMO_MERCH[home][int(r.integers(len(PROMO_MERCH[home])))]
                t = self.start + self.arrive[i] * DAY + r.uniform(0.01, 0.3) * DAY
                inr = 330 * math.exp(r.normal(0.3, 0.5))
                code = COUPON[home][int(r.integers(len(COUPON[home])))]
                self.emit(t, self.acct[i], fmt_amount(inr, CUR[home], r), CUR[home], name, mcc, home, "app",
                          self.card[i][0], self.dev[i][0], f"First order - coupon {code} applied")

    def choose_moves(self):
        r = self.rng
        for i in r.choice(self.n0, self.n0 // 250, replace=False):
            i = int(i)
            ctry, cur = ABROAD[self.home[i]][int(r.integers(len(ABROAD[self.home[i]])))]
            self.moved[i] = (self.start + r.uniform(14, 40) * DAY, ctry, cur, self.newid("dev"))

    # ------------------------------------------------------------------ fraud
    def fraud_day(self, second_half_only=False):
        r = self.rng
        if second_half_only or r.random() < 0.85:
            return r.uniform(24, self.days - 1.5)
        return r.uniform(3, 21)

    def pick_victims(self, k, min_rate=0.0):
        r = self.rng
        cand = np.nonzero((self.arrive[: self.n0] == 0) & (self.rate[: self.n0] >= min_rate))[0]
        cand = [int(c) for c in cand if int(c) not in self.nonew and int(c) not in self.moved]
        out = [int(x) for x in r.choice(cand, k, replace=False)]
        self.nonew.update(out)
        return out

    def bust_out(self, k):
        r = self.rng
        for i in self.pick_victims(k, min_rate=0.12):
            home, cur = self.home[i], CUR[self.home[i]]
            d0 = self.fraud_day()
            t = self.start + d0 * DAY
            span = r.uniform(1.0, 2.0) * DAY
            m = int(r.integers(10, 26))
            for t_k in np.sort(t + r.uniform(0, span, m)):
                c, mcc = BUST_CATS[int(r.integers(len(BUST_CATS)))]
                if c == "jewel":
                    name, base, item = JEWEL[home][int(r.integers(4))], 12000, "Gold chain 22K"
                else:
                    name = MERCH[home][c][int(r.integers(len(MERCH[home][c])))]
                    base, item = CATS[c][1], ITEMS[c][int(r.integers(len(ITEMS[c])))]
                inr = max(base, 3000) * self.scale[i] * r.uniform(3, 15)
                ch = "app" if r.random() < 0.6 else "web"
                self.emit(float(t_k), self.acct[i], fmt_amount(inr, cur, r), cur, name, mcc, home, ch,
                          self.card[i][0], self.dev[i][0], f"Order {self.order_no(home)} - {item}", fraud="bust_out")

    def gaming(self, k):
        r = self.rng
        for i in self.pick_victims(k):
            home, cur = self.home[i], CUR[self.home[i]]
            local_h = r.choice([0, 1, 2, 3, 21, 22, 23, 14, 15])
            t = self.start + math.floor(self.fraud_day()) * DAY + (local_h + r.random()) * 3600 - TZ[home]
            m = int(r.integers(15, 41))
            ts = np.sort(t + r.uniform(0, r.uniform(1.5, 8) * 3600, m))
            dev = self.newid("dev")
            for q, tk in enumerate(ts):
                if q and r.random() < 0.25:
                    dev = self.newid("dev")
                name, mcc, denoms = GAME_TOPUP[home][int(r.integers(len(GAME_TOPUP[home])))]
                v = float(denoms[int(r.integers(len(denoms)))])
                pid = int(r.integers(10 ** 8, 10 ** 10))
                self.emit(float(tk), self.acct[i], f"{v:.2f}", cur, name, mcc, home, "app", self.card[i][0], dev,
                          f"Top-up {v:g} for player ID {pid}", fraud="gaming_topup_laundering")

    def triangulation(self, k):
        r = self.rng
        for i in self.pick_victims(k):
            home, cur = self.home[i], CUR[self.home[i]]
            ctry = TRI_COUNTRIES[int(r.integers(len(TRI_COUNTRIES)))]
            dev = self.newid("dev")
            t0 = self.start + self.fraud_day() * DAY
            for _ in range(int(r.integers(1, 5))):
                t = t0 + r.uniform(0, 5) * DAY
                name, mcc = TRI_MERCH[home][int(r.integers(len(TRI_MERCH[home])))]
                inr = float(np.clip(5000 * self.scale[i] * r.uniform(0.7, 2.0), 2000, 30000))
                item = TRI_ITEMS[int(r.integers(len(TRI_ITEMS)))]
                self.emit(t, self.acct[i], fmt_amount(inr, cur, r), cur, name, mcc, ctry,
                          "web" if r.random() < 0.7 else "app", self.card[i][0], dev,
                          f"Order {self.order_no(home)} - {item}", fraud="triangulation")

    def synthetic(self, k):
        r = self.rng
        for _ in range(k):
            home = "IN" if r.random() < 0.7 else "BR"
            cur = CUR[home]
            acct = f"{'c' if home == 'IN' else 'u'}{int(r.integers(1 << 44, 1 << 48)):012x}"
            card, dev = self.newid("card"), self.newid("dev")
            limit = (50000.0 if r.random() < 0.7 else 100000.0) if home == "IN" else (5000.0 if r.random() < 0.7 else 10000.0)
            t0 = self.start + self.fraud_day(second_half_only=True) * DAY
            if r.random() < 0.6:                      # a small seasoning purchase first
                op = RECHARGE[home][0]
                self.emit(t0, acct, f"{float(op[1][0]):.2f}", cur, op[0], "4814", home, "app", card, dev,
                          "Mobile recharge", fraud="synthetic_identity")
            ts = np.sort(t0 + r.uniform(0.05, r.uniform(1, 3), int(r.integers(3, 9))) * DAY)
            for tk in ts:
                c, mcc = BUST_CATS[int(r.integers(len(BUST_CATS)))]
                name = JEWEL[home][int(r.integers(4))] if c == "jewel" else MERCH[home][c][int(r.integers(len(MERCH[home][c])))]
                v = limit * r.uniform(0.93, 0.999)
                self.emit(float(tk), acct, f"{round(v, 2):.2f}", cur, name, mcc, home,
                          "web" if r.random() < 0.5 else "app", card, dev,
                          f"Order {self.order_no(home)}", fraud="synthetic_identity")

    def promo(self, rings):
        r = self.rng
        for _ in range(rings):
            home = "IN" if r.random() < 0.65 else "BR"
            cur = CUR[home]
            devs = [self.newid("dev") for _ in range(int(r.integers(1, 3)))]
            t0 = self.start + self.fraud_day(second_half_only=True) * DAY
            for _ in range(int(r.integers(20, 46))):
                acct = f"{'c' if home == 'IN' else 'u'}{int(r.integers(1 << 44, 1 << 48)):012x}"
                card = self.newid("card")
                ta = t0 + r.uniform(0, r.uniform(1, 3)) * DAY
                for q in range(1 if r.random() < 0.6 else 2):
                    name, mcc = PROMO_MERCH[home][int(r.integers(len(PROMO_MERCH[home])))]
                    code = COUPON[home][int(r.integers(len(COUPON[home])))]
                    v = r.uniform(199, 260) if home == "IN" else r.uniform(30, 45)
                    self.emit(ta + q * r.uniform(600, 20000), acct, f"{round(v, 2):.2f}", cur, name, mcc, home, "app",
                              card, devs[int(r.integers(len(devs)))], f"First order - coupon {code} applied",
                              fraud="promo_abuse")

    # ------------------------------------------------------------------ output
    def run(self):
        self.choose_moves()
        self.discretionary()
        self.recurring()
        self.new_account_first_orders()
        n = self.n0
        self.bust_out(max(1, n // 800))
        self.gaming(max(1, n // 1600))
        self.triangulation(max(1, n // 300))
        self.synthetic(max(1, n // 1000))
        self.promo(max(1, n // 10000))
        self.rows.sort(key=lambda x: (x[0], x[1]))
        # tag the first 5 events of legitimately new accounts
        new_accts = {self.acct[i] for i in range(self.n0, self.N)}
        seen = {}
        ids = self.rng.permutation(len(self.rows))
        out = []
        for q, (t, _, rec, (fraud, look)) in enumerate(self.rows):
            a = rec["account_id"]
            if a in new_accts and fraud is None:
                seen[a] = seen.get(a, 0) + 1
                if seen[a] <= 5 and look is None:
                    look = "new_account"
            ms = int(round(t * 1000))
            rec["timestamp"] = datetime.fromtimestamp(ms // 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + f".{ms % 1000:03d}Z"
            rec["transaction_id"] = f"ord-{self.seed:x}-{int(ids[q]):06d}-{(int(ids[q]) * 2654435761) % 999983:06d}"
            out.append((rec, {"transaction_id": rec["transaction_id"], "is_fraud": fraud is not None,
                              "fraud_type": fraud, "lookalike": look}))
        return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--customers", type=int, default=32000)
    ap.add_argument("--days", type=int, default=45)
    ap.add_argument("--events", required=True)
    ap.add_argument("--labels", required=True)
    a = ap.parse_args()
    if a.days < FESTIVAL[1] + 3:
        ap.error(f"--days must be at least {FESTIVAL[1] + 3} (the festival is on days {FESTIVAL[0] + 1}-{FESTIVAL[1]})")
    out = Gen(a.seed, a.customers, a.days).run()
    op = gzip.open if a.events.endswith(".gz") else open
    with op(a.events, "wt", encoding="utf-8") as f:
        for rec, _ in out:
            f.write(json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n")
    with open(a.labels, "w", encoding="utf-8") as f:
        for _, lab in out:
            f.write(json.dumps(lab, separators=(",", ":")) + "\n")
    nf = sum(1 for _, l in out if l["is_fraud"])
    types, looks = {}, {}
    for _, l in out:
        if l["fraud_type"]:
            types[l["fraud_type"]] = types.get(l["fraud_type"], 0) + 1
        if l["lookalike"]:
            looks[l["lookalike"]] = looks.get(l["lookalike"], 0) + 1
    print(f"{len(out)} events, {len({r['account_id'] for r, _ in out})} accounts, {nf} fraud "
          f"({100.0 * nf / len(out):.2f}%): {types}; look-alikes {looks}")


if __name__ == "__main__":
    main()
