// STAND-IN for tests only (molecule/apps), never shipped, not CaracalDB's REST
// API: the same start line, the documented routes over an in-memory store, and
// GET /system with the values it read plus the bootstrap server's STATUS line.
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

public final class StandinCaracalApi {
    static final Map<String, ConcurrentSkipListMap<String, String>> SCHEMAS = new ConcurrentHashMap<>();

    static String json(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }

    static String object(Map<String, String> m) {
        StringJoiner j = new StringJoiner(",", "{", "}");
        m.forEach((k, v) -> j.add(json(k) + ":" + json(v)));
        return j.toString();
    }

    static String askServer(String host, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 3000);
            new PrintWriter(s.getOutputStream(), true, StandardCharsets.UTF_8).println("STATUS");
            return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
        } catch (Exception e) {
            return "unreachable: " + e.getMessage();
        }
    }

    static void send(HttpExchange ex, int code, String type, String body) throws java.io.IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.getResponseHeaders().set("Access-Control-Allow-Origin", "*");  // as the real API's cors = "*"
        ex.sendResponseHeaders(code, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) ex.getResponseBody().write(bytes);
        ex.close();
    }

    public static void main(String[] args) throws Exception {
        Conf conf = new Conf();
        String bootHost = conf.get("bootstrap.address.hostname");
        int bootPort = conf.port("bootstrap.address.port");
        String client = conf.get("client.address.hostname") + ":" + conf.port("client.address.port");
        // The client address the real API takes for the servers' replies: bound, idle.
        ServerSocket clientSocket = new ServerSocket();
        clientSocket.bind(new InetSocketAddress(InetAddress.getByName(conf.get("client.address.hostname")), conf.port("client.address.port")));
        HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getByName(conf.get("caracal.api.host.hostname")), conf.port("caracal.api.host.port")), 16);
        Conf.log("caracaldb api", "http " + conf.get("caracal.api.host.hostname") + ":" + conf.get("caracal.api.host.port")
                + " client " + client + " bootstrap " + bootHost + ":" + bootPort);
        http.createContext("/", ex -> {
            String method = ex.getRequestMethod();
            String[] p = ex.getRequestURI().getRawPath().replaceAll("^/+", "").split("/", -1);
            for (int i = 0; i < p.length; i++) p[i] = URLDecoder.decode(p[i], StandardCharsets.UTF_8);
            if (method.equals("OPTIONS")) {
                ex.getResponseHeaders().set("Access-Control-Allow-Methods", "GET, PUT, POST, DELETE");
                ex.getResponseHeaders().set("Access-Control-Allow-Headers", "Content-Type");
                send(ex, 204, "text/plain", "");
            } else if (p.length == 1 && p[0].equals("system") && method.equals("GET")) {
                Map<String, String> sys = new TreeMap<>(Map.of("standin", "true", "bootstrap", bootHost + ":" + bootPort,
                        "client", client, "server", askServer(bootHost, bootPort)));
                send(ex, 200, "application/json", object(sys));
            } else if (p.length == 1 && p[0].equals("schemas") && method.equals("GET")) {
                StringJoiner j = new StringJoiner(",", "[", "]");
                new TreeMap<>(SCHEMAS).keySet().forEach(s -> j.add(json(s)));
                send(ex, 200, "application/json", j.toString());
            } else if (p.length == 4 && p[0].equals("schema") && p[2].equals("key")) {
                ConcurrentSkipListMap<String, String> schema = SCHEMAS.computeIfAbsent(p[1], k -> new ConcurrentSkipListMap<>());
                switch (method) {
                    case "PUT", "POST" -> {
                        schema.put(p[3], new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
                        send(ex, 200, "text/plain", "");
                    }
                    case "GET" -> {
                        String v = schema.get(p[3]);
                        send(ex, v == null ? 404 : 200, "text/plain; charset=utf-8", v == null ? "not found" : v);
                    }
                    case "DELETE" -> send(ex, schema.remove(p[3]) == null ? 404 : 200, "text/plain", "");
                    default -> send(ex, 405, "text/plain", "method not allowed");
                }
            } else if (p.length == 4 && p[0].equals("schema") && p[2].equals("prefix") && method.equals("GET")) {
                ConcurrentSkipListMap<String, String> schema = SCHEMAS.getOrDefault(p[1], new ConcurrentSkipListMap<>());
                Map<String, String> hits = new TreeMap<>();
                schema.forEach((k, v) -> { if (k.startsWith(p[3])) hits.put(k, v); });
                send(ex, 200, "application/json", object(hits));
            } else if (p.length == 5 && p[0].equals("schema") && p[2].equals("range") && method.equals("GET")) {
                ConcurrentSkipListMap<String, String> schema = SCHEMAS.getOrDefault(p[1], new ConcurrentSkipListMap<>());
                send(ex, 200, "application/json", p[3].compareTo(p[4]) > 0 ? "{}" : object(schema.subMap(p[3], true, p[4], true)));
            } else {
                send(ex, 404, "text/plain", "no such route");
            }
        });
        http.start();
    }
}
