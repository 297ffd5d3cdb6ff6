package dev.spindle.minicluster;

import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.hdfs.DistributedFileSystem;
import org.apache.hadoop.hdfs.HdfsConfiguration;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.hadoop.yarn.api.records.NodeState;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;
import org.apache.hadoop.yarn.server.resourcemanager.rmnode.RMNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Spindle's local Hadoop: one NameNode, one DataNode, one ResourceManager and
 * two NodeManagers in this JVM. It writes core-site.xml, hdfs-site.xml and
 * yarn-site.xml into --conf-dir for any client to use as HADOOP_CONF_DIR, and
 * prints one line "SPINDLE_MINICLUSTER_READY {json}" on stdout once HDFS is out
 * of safe mode and both NodeManagers are RUNNING. Everything else goes to the
 * log file and stderr.
 */
public final class Main {
  static final String READY = "SPINDLE_MINICLUSTER_READY";
  static final Logger LOG = LoggerFactory.getLogger(Main.class);

  public static void main(String[] args) throws Exception {
    Options opts = Options.parse(args);
    long started = System.nanoTime();
    // Keep stdout for the ready line alone: Hadoop libraries print to it.
    PrintStream out = new PrintStream(new FileOutputStream(java.io.FileDescriptor.out), true, "UTF-8");
    System.setOut(System.err);

    File work = opts.workDir.getAbsoluteFile();
    File confDir = opts.confDir.getAbsoluteFile();
    Files.createDirectories(work.toPath());
    Files.createDirectories(confDir.toPath());

    Cluster cluster = new Cluster(work, opts);
    // Stop on SIGTERM/SIGINT or stdin EOF from the main thread, not from a
    // shutdown hook: MiniDFSCluster removes hooks while shutting down, which
    // Java forbids once the JVM is exiting.
    CountDownLatch stopRequested = new CountDownLatch(1);
    for (String sig : new String[] {"TERM", "INT"}) {
      sun.misc.Signal.handle(new sun.misc.Signal(sig), s -> stopRequested.countDown());
    }
    Runtime.getRuntime().addShutdownHook(new Thread(cluster::stop, "spindle-minicluster-shutdown"));

    try {
      cluster.start();
      writeSiteFiles(cluster, confDir);
    } catch (Throwable t) {
      System.err.println("spindle-minicluster: start failed: " + t);
      t.printStackTrace(System.err);
      System.exit(2);
    }

    long millis = (System.nanoTime() - started) / 1_000_000;
    out.println(READY + " " + readyJson(cluster, confDir, millis));
    out.flush();

    if (opts.exitOnStdinEof) {
      Thread watcher = new Thread(() -> {
        try {
          InputStream in = System.in;
          byte[] buf = new byte[256];
          while (in.read(buf) >= 0) {
            // Anything written to stdin is ignored; only its end matters.
          }
        } catch (IOException ignored) {
          // A broken stdin means our parent is gone: stop as for EOF.
        }
        LOG.info("stdin closed, stopping");
        stopRequested.countDown();
      }, "spindle-minicluster-stdin");
      watcher.setDaemon(true);
      watcher.start();
    }
    stopRequested.await();
    cluster.stop();
    System.exit(0);
  }

  static String readyJson(Cluster c, File confDir, long startMillis) {
    Configuration y = c.yarn.getConfig();
    StringBuilder sb = new StringBuilder("{");
    field(sb, "conf_dir", confDir.getPath()).append(',');
    field(sb, "hdfs_uri", c.dfs.getURI().toString()).append(',');
    field(sb, "rm_address", y.get(YarnConfiguration.RM_ADDRESS)).append(',');
    field(sb, "rm_scheduler_address", y.get(YarnConfiguration.RM_SCHEDULER_ADDRESS)).append(',');
    field(sb, "rm_webapp_address", y.get(YarnConfiguration.RM_WEBAPP_ADDRESS)).append(',');
    sb.append("\"node_managers\":[");
    List<String> nodes = new ArrayList<>();
    for (RMNode n : c.yarn.getResourceManager().getRMContext().getRMNodes().values()) {
      nodes.add("{\"id\":\"" + n.getNodeID() + "\",\"state\":\"" + n.getState() + "\"}");
    }
    sb.append(String.join(",", nodes)).append("],");
    if (c.secure != null) {
      sb.append("\"kerberos\":").append(c.secure.json()).append(',');
    }
    sb.append("\"start_millis\":").append(startMillis);
    return sb.append('}').toString();
  }

  static StringBuilder field(StringBuilder sb, String k, String v) {
    return sb.append('"').append(k).append("\":\"")
        .append(v.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
  }

  /** Writes only what differs from Hadoop's defaults, as a real cluster's site files do. */
  static void writeSiteFiles(Cluster c, File confDir) throws IOException {
    Configuration y = c.yarn.getConfig();
    Map<String, String> core = new TreeMap<>();
    core.put("fs.defaultFS", c.dfs.getURI().toString());
    core.put("hadoop.security.authentication", "simple");
    Map<String, String> hdfs = new TreeMap<>();
    Configuration d = c.dfs.getConfiguration(0);
    for (String k : new String[] {"dfs.replication", "dfs.namenode.rpc-address", "dfs.namenode.http-address",
        "dfs.permissions.enabled"}) {
      if (d.get(k) != null) {
        hdfs.put(k, d.get(k));
      }
    }
    hdfs.put("dfs.replication", "1");
    if (c.secure != null) {
      c.secure.siteFiles(core, hdfs, d);
    }
    Map<String, String> yarn = new TreeMap<>();
    YarnConfiguration defaults = new YarnConfiguration();
    for (Map.Entry<String, String> e : y) {
      String k = e.getKey();
      if (!k.startsWith("yarn.")) {
        continue;
      }
      String v = y.get(k);
      if (v != null && !v.equals(defaults.get(k))) {
        yarn.put(k, v);
      }
    }
    writeXml(new File(confDir, "core-site.xml"), core);
    writeXml(new File(confDir, "hdfs-site.xml"), hdfs);
    writeXml(new File(confDir, "yarn-site.xml"), yarn);
  }

  static void writeXml(File f, Map<String, String> props) throws IOException {
    File tmp = new File(f.getPath() + ".tmp");
    StringBuilder sb = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<configuration>\n");
    for (Map.Entry<String, String> e : props.entrySet()) {
      sb.append("  <property><name>").append(xml(e.getKey())).append("</name><value>")
          .append(xml(e.getValue())).append("</value></property>\n");
    }
    sb.append("</configuration>\n");
    try (OutputStream os = new FileOutputStream(tmp)) {
      os.write(sb.toString().getBytes(StandardCharsets.UTF_8));
    }
    Files.move(tmp.toPath(), f.toPath(), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  static String xml(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }

  static final class Cluster {
    final File work;
    final Options opts;
    MiniDFSCluster dfs;
    MiniYARNCluster yarn;
    /** The KDC and keytabs when --secure; null otherwise. */
    Secure secure;

    Cluster(File work, Options opts) {
      this.work = work;
      this.opts = opts;
    }

    void start() throws Exception {
      Configuration conf = new HdfsConfiguration();
      if (opts.secure) {
        secure = Secure.start(work, opts.rpcProtection, opts.dataTransferProtection);
        secure.configure(conf);
      }
      // --set: settings a test needs on the servers (short token lifetimes,
      // hadoop.proxyuser.*), before any daemon reads them.
      for (Map.Entry<String, String> e : opts.extra.entrySet()) {
        conf.set(e.getKey(), e.getValue());
      }
      conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, new File(work, "dfs").getPath());
      conf.setInt("dfs.replication", 1);
      // Quick DataNode heartbeats shorten the wait for a writable HDFS.
      conf.setInt("dfs.heartbeat.interval", 1);
      conf.setInt("dfs.namenode.heartbeat.recheck-interval", 1000);
      dfs = new MiniDFSCluster.Builder(conf)
          .nameNodePort(opts.nameNodePort)
          .numDataNodes(1)
          .build();
      dfs.waitActive();
      dfs.waitClusterUp();
      DistributedFileSystem fs = dfs.getFileSystem();
      // Shared folders any Hadoop distribution has: staging, log aggregation.
      for (String p : new String[] {"/tmp", "/tmp/logs", "/user"}) {
        fs.mkdirs(new Path(p));
        fs.setPermission(new Path(p), new FsPermission((short) 01777));
      }
      String user = System.getProperty("user.name");
      fs.mkdirs(new Path("/user/" + user));

      YarnConfiguration yconf = new YarnConfiguration(dfs.getConfiguration(0));
      yconf.set("fs.defaultFS", dfs.getURI().toString());
      yconf.setInt(YarnConfiguration.RM_SCHEDULER_MINIMUM_ALLOCATION_MB, 64);
      yconf.setInt(YarnConfiguration.RM_SCHEDULER_MAXIMUM_ALLOCATION_MB, 4096);
      yconf.setInt(YarnConfiguration.NM_VCORES, 8);
      yconf.setInt(YarnConfiguration.RM_SCHEDULER_MAXIMUM_ALLOCATION_VCORES, 8);
      // The default 10% AM share leaves a second application ACCEPTED forever.
      yconf.setFloat("yarn.scheduler.capacity.maximum-am-resource-percent", 1.0f);
      yconf.setInt(YarnConfiguration.RM_NM_HEARTBEAT_INTERVAL_MS, 100);
      yconf.setLong("yarn.resourcemanager.nodemanagers.heartbeat-interval-min-ms", 100);
      yconf.setLong(YarnConfiguration.RM_AM_EXPIRY_INTERVAL_MS, 60_000);
      // CI disks can be nearly full; YARN must not mark the node unhealthy for it.
      yconf.setFloat(YarnConfiguration.NM_MAX_PER_DISK_UTILIZATION_PERCENTAGE, 100.0f);
      yconf.setLong(YarnConfiguration.NM_MIN_PER_DISK_FREE_SPACE_MB, 0);
      yconf.setBoolean(YarnConfiguration.NM_PMEM_CHECK_ENABLED, false);
      yconf.setBoolean(YarnConfiguration.NM_VMEM_CHECK_ENABLED, false);
      // Aggregate container logs into HDFS (TFile). MiniYARNCluster points each NM's
      // yarn.nodemanager.remote-app-log-dir at its own folder; the TFile controller's
      // own key takes precedence, so every NM writes under one HDFS root as on a real cluster.
      yconf.setBoolean(YarnConfiguration.LOG_AGGREGATION_ENABLED, true);
      yconf.set("yarn.log-aggregation.file-formats", "TFile");
      yconf.set("yarn.log-aggregation.TFile.remote-app-log-dir", "/tmp/logs");
      yconf.setLong(YarnConfiguration.DEBUG_NM_DELETE_DELAY_SEC, 0);
      // Fast container stop: SIGTERM then SIGKILL after this delay.
      yconf.setLong(YarnConfiguration.NM_SLEEP_DELAY_BEFORE_SIGKILL_MS, 2000);
      yconf.setBoolean(YarnConfiguration.YARN_MINICLUSTER_FIXED_PORTS, false);
      yconf.setBoolean(YarnConfiguration.YARN_MINICLUSTER_USE_RPC, false);
      yconf.setBoolean(YarnConfiguration.NM_RECOVERY_ENABLED, false);

      if (secure != null) {
        secure.configureYarn(yconf);
        if (opts.https) {
          yconf.set(YarnConfiguration.YARN_HTTP_POLICY_KEY, "HTTPS_ONLY");
        }
      }
      yarn = new MiniYARNCluster("spindle", 1, opts.nodeManagers, 1, 1);
      yarn.init(yconf);
      yarn.start();
      if (!yarn.waitForNodeManagersToConnect(60_000)) {
        throw new IOException("NodeManagers did not register with the ResourceManager within 60s");
      }
      long deadline = System.currentTimeMillis() + 60_000;
      while (runningNodes() < opts.nodeManagers) {
        if (System.currentTimeMillis() > deadline) {
          throw new IOException("NodeManagers not RUNNING within 60s: " + runningNodes() + " of " + opts.nodeManagers);
        }
        Thread.sleep(100);
      }
      // Each daemon's web address must answer for that daemon (see
      // OwnWebPipelines): clients read live logs from each NodeManager.
      OwnWebPipelines.apply(yarn.getResourceManager());
      for (int i = 0; i < opts.nodeManagers; i++) {
        OwnWebPipelines.apply(yarn.getNodeManager(i));
      }
    }

    int runningNodes() {
      int n = 0;
      for (RMNode node : yarn.getResourceManager().getRMContext().getRMNodes().values()) {
        if (node.getState() == NodeState.RUNNING) {
          n++;
        }
      }
      return n;
    }

    synchronized void stop() {
      if (yarn != null) {
        try {
          yarn.stop();
        } catch (Throwable t) {
          System.err.println("spindle-minicluster: stopping YARN: " + t);
        }
        yarn = null;
      }
      if (dfs != null) {
        try {
          dfs.shutdown(true);
        } catch (Throwable t) {
          System.err.println("spindle-minicluster: stopping HDFS: " + t);
        }
        dfs = null;
      }
      if (secure != null) {
        secure.stop();
        secure = null;
      }
    }
  }

  static final class Options {
    File confDir;
    File workDir;
    int nodeManagers = 2;
    int nameNodePort = 0;
    boolean exitOnStdinEof;
    /** Kerberos everywhere: see Secure. */
    boolean secure;
    String rpcProtection = "authentication";
    String dataTransferProtection;
    /** --set key=value, repeatable: extra server configuration. */
    final Map<String, String> extra = new java.util.LinkedHashMap<>();
    /** With --secure: YARN's web servers (NodeManager logs) on HTTPS only. */
    boolean https;

    static Options parse(String[] args) {
      Options o = new Options();
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        switch (a) {
          case "--conf-dir": o.confDir = new File(need(args, ++i, a)); break;
          case "--work-dir": o.workDir = new File(need(args, ++i, a)); break;
          case "--node-managers": o.nodeManagers = Integer.parseInt(need(args, ++i, a)); break;
          case "--namenode-port": o.nameNodePort = Integer.parseInt(need(args, ++i, a)); break;
          case "--exit-on-stdin-eof": o.exitOnStdinEof = true; break;
          case "--secure": o.secure = true; break;
          case "--https": o.https = true; break;
          case "--rpc-protection": o.rpcProtection = qop(need(args, ++i, a), a); break;
          case "--data-transfer-protection": o.dataTransferProtection = qop(need(args, ++i, a), a); break;
          case "--set": {
            String kv = need(args, ++i, a);
            int eq = kv.indexOf('=');
            if (eq <= 0) {
              usage("--set needs key=value, got " + kv);
            }
            o.extra.put(kv.substring(0, eq), kv.substring(eq + 1));
            break;
          }
          default:
            usage("unknown argument " + a);
        }
      }
      if (o.workDir == null) {
        o.workDir = new File(".");
      }
      if (o.confDir == null) {
        o.confDir = new File(o.workDir, "conf");
      }
      if (o.https && !o.secure) {
        usage("--https needs --secure (its keystore)");
      }
      if (o.dataTransferProtection == null) {
        o.dataTransferProtection = o.rpcProtection;
      }
      return o;
    }

    static String need(String[] args, int i, String flag) {
      if (i >= args.length) {
        usage(flag + " needs a value");
      }
      return args[i];
    }

    static String qop(String v, String flag) {
      if (!v.equals("authentication") && !v.equals("integrity") && !v.equals("privacy")) {
        usage(flag + " must be authentication, integrity or privacy, got " + v);
      }
      return v;
    }

    static void usage(String why) {
      System.err.println("spindle-minicluster: " + why);
      System.err.println("usage: Main [--conf-dir DIR] [--work-dir DIR] [--node-managers N] [--namenode-port P] [--exit-on-stdin-eof]"
          + " [--secure [--rpc-protection authentication|integrity|privacy] [--data-transfer-protection Q] [--https]] [--set key=value]...");
      System.exit(64);
    }
  }
}
