// STAND-IN for tests only (molecule/apps), never shipped, not CaracalDB: it
// takes the server's start line (java -Dconfig.file=F -jar X.jar), listens on
// server.address:port, and counts the nodes that join the bootstrap server
// until bootThreshold (lines: "JOIN ip:port" -> "OK n", "STATUS" -> one line).
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.TreeSet;

public final class StandinCaracalServer {
    public static void main(String[] args) throws Exception {
        Conf conf = new Conf();
        String self = conf.get("server.address.hostname") + ":" + conf.port("server.address.port");
        String boot = conf.get("bootstrap.address.hostname") + ":" + conf.port("bootstrap.address.port");
        int threshold = conf.port("caracal.bootThreshold");
        boolean isBoot = self.equals(boot);
        Set<String> nodes = new TreeSet<>();
        nodes.add(self);
        Conf.log("caracaldb server", "address " + self + " bootstrap " + boot + " bootThreshold " + threshold
                + " pathHead " + conf.get("caracal.database.pathHead") + (isBoot ? " (the bootstrap server)" : ""));
        ServerSocket server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getByName(conf.get("server.address.hostname")), conf.port("server.address.port")));
        if (isBoot && nodes.size() >= threshold) Conf.log("caracaldb server", "booted: 1 of " + threshold + " nodes");
        if (!isBoot) {
            Thread join = new Thread(() -> {
                while (true) {
                    try (Socket s = new Socket()) {
                        String[] hp = boot.split(":");
                        s.connect(new InetSocketAddress(hp[0], Integer.parseInt(hp[1])), 3000);
                        PrintWriter out = new PrintWriter(s.getOutputStream(), true, StandardCharsets.UTF_8);
                        out.println("JOIN " + self);
                        String reply = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
                        Conf.log("caracaldb server", "joined the bootstrap server " + boot + ": " + reply);
                        return;
                    } catch (Exception e) {
                        try { Thread.sleep(2000); } catch (InterruptedException ie) { return; }
                    }
                }
            });
            join.setDaemon(true);
            join.start();
        }
        while (true) {
            try (Socket s = server.accept()) {
                String line = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
                PrintWriter out = new PrintWriter(s.getOutputStream(), true, StandardCharsets.UTF_8);
                if (line != null && line.startsWith("JOIN ") && isBoot) {
                    synchronized (nodes) {
                        boolean before = nodes.size() >= threshold;
                        nodes.add(line.substring(5).strip());
                        Conf.log("caracaldb server", "node " + line.substring(5).strip() + " joined (" + nodes.size() + " of " + threshold + ")");
                        if (!before && nodes.size() >= threshold) Conf.log("caracaldb server", "booted: " + nodes.size() + " of " + threshold + " nodes");
                        out.println("OK " + nodes.size());
                    }
                } else if ("STATUS".equals(line)) {
                    synchronized (nodes) {
                        out.println("bootstrap=" + boot + " threshold=" + threshold + " nodes=" + String.join(",", nodes)
                                + " booted=" + (isBoot && nodes.size() >= threshold));
                    }
                } else {
                    out.println("ERR");
                }
            } catch (Exception e) {
                Conf.log("caracaldb server", "connection: " + e);
            }
        }
    }
}
