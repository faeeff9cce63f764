import Foundation
import Logging

/// A minimal HTTP/1.1 responder for `/metrics`, `/healthz` and `/readyz` on a dedicated thread
/// (blocking sockets; three GET routes do not justify a web framework's build time). Each
/// connection gets one response and is closed. `stop()` closes the listening socket.
public final class HTTPEndpoint: @unchecked Sendable {
    // Sendable: `fd` is written once in init and read by the accept thread; routes are immutable.
    public typealias Handler = @Sendable () -> (status: Int, contentType: String, body: [UInt8])
    private let fd: Int32
    private let routes: [String: Handler]
    public let port: Int
    private let logger: Logger

    /// Binds `host:port` (port 0 picks a free one, see `port`) and starts serving.
    public init(host: String = "0.0.0.0", port: Int, routes: [String: Handler], logger: Logger) throws {
        self.routes = routes
        self.logger = logger
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        guard fd >= 0 else { throw HTTPEndpointError.bind("socket: \(String(cString: strerror(errno)))") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &addr.sin_addr) == 1 else {
            close(fd)
            throw HTTPEndpointError.bind("invalid IPv4 address \(host)")
        }
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(fd, 64) == 0 else {
            let msg = String(cString: strerror(errno))
            close(fd)
            throw HTTPEndpointError.bind("\(host):\(port): \(msg)")
        }
        var actual = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        self.port = Int(UInt16(bigEndian: actual.sin_port))
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "txguard.http"
        thread.start()
    }

    public func stop() { shutdown(fd, Int32(SHUT_RDWR)); close(fd) }

    private func acceptLoop() {
        while true {
            let c = accept(fd, nil, nil)
            if c < 0 {
                if errno == EINTR { continue }
                return
            }
            var tv = timeval(tv_sec: 2, tv_usec: 0)
            setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            var buf = [UInt8](repeating: 0, count: 4096)
            let n = read(c, &buf, buf.count)
            var status = 400, type = "text/plain", body = Array("bad request\n".utf8)
            if n > 0 {
                let line = String(decoding: buf[0..<n].prefix { $0 != 13 && $0 != 10 }, as: UTF8.self)
                let parts = line.split(separator: " ")
                if parts.count >= 2, parts[0] == "GET" {
                    let path = String(parts[1].split(separator: "?").first ?? "")
                    if let h = routes[path] { (status, type, body) = h() } else { (status, body) = (404, Array("not found\n".utf8)) }
                }
            }
            let reason = [200: "OK", 404: "Not Found", 503: "Service Unavailable"][status] ?? "Bad Request"
            let head = "HTTP/1.1 \(status) \(reason)\r\nContent-Type: \(type)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
            let out = Array(head.utf8) + body
            _ = out.withUnsafeBytes { write(c, $0.baseAddress, $0.count) }
            close(c)
        }
    }
}

public enum HTTPEndpointError: Error, CustomStringConvertible {
    case bind(String)
    public var description: String {
        switch self { case .bind(let m): return "metrics endpoint cannot listen: \(m)" }
    }
}
