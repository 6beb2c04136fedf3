// STAND-IN for tests only (molecule/apps), never shipped, not GVoD: the same
// start line; it logs the configuration it read, listens on vod.address (TCP
// port, UDP port + 1) and logs once the CaracalDB address answers.
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

public final class StandinGvod {
    public static void main(String[] args) throws Exception {
        Conf conf = new Conf();
        InetAddress ip = InetAddress.getByName(conf.get("vod.address.ip"));
        int port = conf.port("vod.address.port");
        String caracal = conf.get("caracal.address.ip") + ":" + conf.port("caracal.address.port");
        Conf.log("gvod", "id " + conf.get("vod.address.id") + " address " + ip.getHostAddress() + ":" + port
                + " libDir " + conf.get("vod.libDir") + " bootstrap " + conf.get("bootstrap.server.address.ip") + ":"
                + conf.get("bootstrap.server.address.port") + " caracal " + caracal);
        ServerSocket tcp = new ServerSocket();
        tcp.bind(new InetSocketAddress(ip, port));
        DatagramSocket udp = new DatagramSocket(new InetSocketAddress(ip, port + 1));
        for (int tries = 0; tries < 60; tries++) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(conf.get("caracal.address.ip"), conf.port("caracal.address.port")), 3000);
                Conf.log("gvod", "CaracalDB at " + caracal + " answers");
                break;
            } catch (Exception e) {
                Thread.sleep(2000);
            }
        }
        while (true) tcp.accept().close();
    }
}
