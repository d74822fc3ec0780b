import java.net.InetSocketAddress;
import org.apache.zookeeper.server.quorum.QuorumPeer.QuorumServer;
import org.apache.zookeeper.server.quorum.QuorumPeerConfig;

/**
 * Reads each zoo.cfg given on the command line with ZooKeeper's own QuorumPeerConfig (the jar Debian ships) and
 * prints one line per file, for ZooKeeperReadsTheSameSpecs to compare with what Coord read:
 *   OK distributed=D myid=N init=N sync=N members=id,host,quorumPort,electionPort,TYPE,clientHost,clientPort;...
 *   ERROR message <- cause ...
 * A member's client address is "-,0" when the file gives none (or when ZooKeeper copied it from clientPort).
 */
public class ZooKeeperConfigOracle {
    public static void main(String[] args) {
        for (String path : args) {
            try {
                QuorumPeerConfig c = new QuorumPeerConfig();
                c.parse(path);
                StringBuilder members = new StringBuilder();
                for (QuorumServer s : c.getServers().values()) {
                    InetSocketAddress client = s.isClientAddrFromStatic ? null : s.clientAddr;
                    if (members.length() > 0) members.append(';');
                    members.append(s.id).append(',').append(s.hostname)
                        .append(',').append(s.addr.getOne().getPort())
                        .append(',').append(s.electionAddr.getOne().getPort())
                        .append(',').append(s.type)
                        .append(',').append(client == null ? "-" : client.getHostString())
                        .append(',').append(client == null ? 0 : client.getPort());
                }
                System.out.println("OK distributed=" + c.isDistributed() + " myid=" + c.getServerId() + " init=" + c.getInitLimit()
                    + " sync=" + c.getSyncLimit() + " members=" + members);
            } catch (Throwable e) {
                StringBuilder m = new StringBuilder(String.valueOf(e.getMessage()));
                for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) m.append(" <- ").append(cause.getMessage());
                System.out.println("ERROR " + m.toString().replace('\n', ' '));
            }
        }
    }
}
