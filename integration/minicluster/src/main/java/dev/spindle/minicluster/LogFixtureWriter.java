package dev.spindle.minicluster;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.security.UserGroupInformation;
import org.apache.hadoop.yarn.api.records.ApplicationAccessType;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.logaggregation.AggregatedLogFormat;

/**
 * Writes an aggregated-log TFile with Hadoop's own AggregatedLogFormat.LogWriter,
 * as a NodeManager would, so Spindle's Go reader is tested against bytes real
 * Hadoop produced. The container log files have deterministic contents (see
 * {@link #content}) that the Go tests regenerate to compare.
 *
 * <p>Usage: LogFixtureWriter OUT_FILE COMPRESSION BIG_SIZE [SYSLOG_SIZE], where
 * COMPRESSION is a TFile algorithm (none, gz), BIG_SIZE the length of container
 * 2's stdout and SYSLOG_SIZE that of container 1's syslog (default 5000).
 */
public final class LogFixtureWriter {
  /** Cluster timestamp and sequence of the fixture application. */
  static final long CLUSTER_TS = 1700000000000L;
  static final int APP_SEQ = 42;

  private LogFixtureWriter() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 3 && args.length != 4) {
      System.err.println("usage: LogFixtureWriter OUT_FILE COMPRESSION BIG_SIZE [SYSLOG_SIZE]");
      System.exit(2);
    }
    File out = new File(args[0]).getAbsoluteFile();
    String compression = args[1];
    int bigSize = Integer.parseInt(args[2]);
    int syslogSize = args.length == 4 ? Integer.parseInt(args[3]) : 5000;

    ApplicationId app = ApplicationId.newInstance(CLUSTER_TS, APP_SEQ);
    ContainerId c1 = ContainerId.fromString("container_" + CLUSTER_TS + "_0042_01_000001");
    ContainerId c2 = ContainerId.fromString("container_" + CLUSTER_TS + "_0042_01_000002");

    File root = Files.createTempDirectory("spindle-logfixture").toFile();
    try {
      // The NodeManager's layout: {log dir}/{app id}/{container id}/{file}.
      File d1 = new File(new File(root, app.toString()), c1.toString());
      File d2 = new File(new File(root, app.toString()), c2.toString());
      write(d1, "stdout", 23);
      write(d1, "stderr", 0);
      write(d1, "syslog", syslogSize);
      write(d2, "prelaunch.out", 100);
      write(d2, "stderr", 9);
      write(d2, "stdout", bigSize);

      Configuration conf = new Configuration();
      conf.set("yarn.nodemanager.log-aggregation.compression-type", compression);
      String user = UserGroupInformation.getCurrentUser().getShortUserName();

      Map<ApplicationAccessType, String> acls = new LinkedHashMap<>();
      acls.put(ApplicationAccessType.VIEW_APP, "viewer1 viewers");
      acls.put(ApplicationAccessType.MODIFY_APP, " ");

      out.delete();
      AggregatedLogFormat.LogWriter w = new AggregatedLogFormat.LogWriter();
      w.initialize(conf, new Path(out.toURI()), UserGroupInformation.getCurrentUser());
      try {
        w.writeApplicationOwner("fixture-owner");
        w.writeApplicationACLs(acls);
        for (ContainerId c : new ContainerId[] {c1, c2}) {
          w.append(new AggregatedLogFormat.LogKey(c),
              new AggregatedLogFormat.LogValue(
                  Collections.singletonList(root.getPath()), c, user));
        }
      } finally {
        w.close();
      }
      // The local file system leaves a checksum file next to the output.
      new File(out.getParentFile(), "." + out.getName() + ".crc").delete();
    } finally {
      deleteTree(root);
    }
  }

  /** Writes SIZE bytes of {@link #content} for NAME into DIR/NAME. */
  static void write(File dir, String name, int size) throws IOException {
    dir.mkdirs();
    try (OutputStream o = Files.newOutputStream(new File(dir, name).toPath())) {
      o.write(content(dir.getName() + "/" + name, size));
    }
  }

  /**
   * The deterministic content of a fixture file: lines "{label} line
   * {n, 7 digits}\n" from n = 0, cut at SIZE bytes. Compressible but not
   * trivially so.
   */
  static byte[] content(String label, int size) {
    StringBuilder b = new StringBuilder(size + 64);
    for (int n = 0; b.length() < size; n++) {
      b.append(label).append(" line ").append(String.format("%07d", n)).append('\n');
    }
    b.setLength(size);
    return b.toString().getBytes(StandardCharsets.UTF_8);
  }

  static void deleteTree(File f) {
    File[] kids = f.listFiles();
    if (kids != null) {
      for (File k : kids) {
        deleteTree(k);
      }
    }
    f.delete();
  }
}
