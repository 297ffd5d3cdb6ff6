package dev.spindle.minicluster;

import java.io.File;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.security.UserGroupInformation;
import org.apache.hadoop.yarn.api.records.ApplicationAccessType;
import org.apache.hadoop.yarn.api.records.ApplicationId;
import org.apache.hadoop.yarn.api.records.ContainerId;
import org.apache.hadoop.yarn.api.records.NodeId;
import org.apache.hadoop.yarn.logaggregation.AggregatedLogFormat;
import org.apache.hadoop.yarn.logaggregation.filecontroller.LogAggregationFileControllerContext;
import org.apache.hadoop.yarn.logaggregation.filecontroller.ifile.LogAggregationIndexedFileController;

/**
 * Writes aggregated logs in the indexed format (IFile) with Hadoop's own
 * LogAggregationIndexedFileController, as a NodeManager would, so Spindle's Go
 * reader is tested against bytes real Hadoop produced. Contents come from
 * {@link LogFixtureWriter#content}; files' modification times are fixed.
 *
 * <p>Usage: IndexedLogFixtureWriter OUT_DIR COMPRESSION BIG_SIZE. OUT_DIR
 * gets:
 * <ul>
 *   <li>host1_1111: one upload of containers 1 and 2 (LogFixtureWriter's
 *       files, BIG_SIZE being container 2's stdout);</li>
 *   <li>host2_2222_{time}, host2_2222-checksum: a rolling upload of three
 *       cycles: container 3's stdout and stderr; then container 3's stdout
 *       again (the new part of the log) and container 4's syslog; then
 *       container 4's stdout, whose cycle never finishes (no index written),
 *       as when a NodeManager dies mid-upload, so the checksum file still
 *       marks where the second cycle's index ends.</li>
 * </ul>
 */
public final class IndexedLogFixtureWriter {
  /** Modification time of the first file written; each next one is 1s later. */
  static final long MTIME = 1700000100000L;

  private IndexedLogFixtureWriter() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      System.err.println("usage: IndexedLogFixtureWriter OUT_DIR COMPRESSION BIG_SIZE");
      System.exit(2);
    }
    File out = new File(args[0]).getAbsoluteFile();
    String compression = args[1];
    int bigSize = Integer.parseInt(args[2]);
    out.mkdirs();

    long ts = LogFixtureWriter.CLUSTER_TS;
    ApplicationId app = ApplicationId.newInstance(ts, LogFixtureWriter.APP_SEQ);
    Configuration conf = new Configuration();
    conf.set("yarn.nodemanager.log-aggregation.compression-type", compression);
    // The raw local file system appends and leaves no .crc files.
    conf.set("fs.AbstractFileSystem.file.impl", "org.apache.hadoop.fs.local.RawLocalFs");
    conf.set("yarn.log-aggregation.IFile.remote-app-log-dir", out.toURI().toString());
    UserGroupInformation ugi = UserGroupInformation.getCurrentUser();
    String user = ugi.getShortUserName();
    Map<ApplicationAccessType, String> acls = new HashMap<>();
    acls.put(ApplicationAccessType.VIEW_APP, "viewer1 viewers");

    File root = java.nio.file.Files.createTempDirectory("spindle-ifixture").toFile();
    try {
      long[] mtime = {MTIME};
      // Node 1: one upload, as at the end of an application.
      File d1 = dir(root, "1", app, 1);
      file(d1, "stdout", 23, mtime);
      file(d1, "stderr", 0, mtime);
      file(d1, "syslog", 5000, mtime);
      File d2 = dir(root, "1", app, 2);
      file(d2, "prelaunch.out", 100, mtime);
      file(d2, "stderr", 9, mtime);
      file(d2, "stdout", bigSize, mtime);
      LogAggregationIndexedFileController c = controller(conf);
      LogAggregationFileControllerContext ctx = new LogAggregationFileControllerContext(
          new Path(out.toURI().toString() + "/host1_1111"), new Path(out.toURI().toString() + "/host1_1111.tmp"),
          false, 0, app, acls, NodeId.newInstance("host1", 1111), ugi);
      c.initializeWriter(ctx);
      upload(c, root, "1", app, user, 1, 2);
      c.postWrite(ctx);
      c.closeWriter();

      // Node 2: rolling uploads into one file.
      File d3 = dir(root, "2a", app, 3);
      file(d3, "stdout", 3000, mtime);
      file(d3, "stderr", 40, mtime);
      File d3b = dir(root, "2b", app, 3);
      file(d3b, "stdout", 700, mtime);
      File d4 = dir(root, "2b", app, 4);
      file(d4, "syslog", 1234, mtime);
      File d4c = dir(root, "2c", app, 4);
      file(d4c, "stdout", 77, mtime);
      c = controller(conf);
      ctx = new LogAggregationFileControllerContext(
          new Path(out.toURI().toString() + "/host2_2222"), new Path(out.toURI().toString() + "/host2_2222.tmp"),
          true, 3600, app, acls, NodeId.newInstance("host2", 2222), ugi);
      c.initializeWriter(ctx);
      upload(c, root, "2a", app, user, 3);
      c.postWrite(ctx);
      c.closeWriter();
      c.initializeWriter(ctx);
      upload(c, root, "2b", app, user, 3, 4);
      c.postWrite(ctx);
      c.closeWriter();
      c.initializeWriter(ctx);
      upload(c, root, "2c", app, user, 4);
      c.closeWriter();
    } finally {
      LogFixtureWriter.deleteTree(root);
    }
  }

  static LogAggregationIndexedFileController controller(Configuration conf) {
    LogAggregationIndexedFileController c = new LogAggregationIndexedFileController();
    c.initialize(conf, "IFile");
    return c;
  }

  static ContainerId container(ApplicationId app, int n) {
    return ContainerId.fromString(String.format("container_%d_%04d_01_%06d",
        app.getClusterTimestamp(), app.getId(), n));
  }

  /** The NodeManager's layout: {log dir}/{app id}/{container id}. */
  static File dir(File root, String cycle, ApplicationId app, int n) {
    return new File(new File(new File(root, cycle), app.toString()), container(app, n).toString());
  }

  static void file(File dir, String name, int size, long[] mtime) throws Exception {
    LogFixtureWriter.write(dir, name, size);
    new File(dir, name).setLastModified(mtime[0]);
    mtime[0] += 1000;
  }

  static void upload(LogAggregationIndexedFileController c, File root, String cycle,
      ApplicationId app, String user, int... containers) throws Exception {
    for (int n : containers) {
      ContainerId id = container(app, n);
      c.write(new AggregatedLogFormat.LogKey(id), new AggregatedLogFormat.LogValue(
          Collections.singletonList(new File(root, cycle).getPath()), id, user));
    }
  }
}
