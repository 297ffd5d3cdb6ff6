package org.apache.hadoop.io;

import java.io.File;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The local Hadoop cluster's stand-in for Hadoop's SecureIOUtils (this class
 * comes first on the JVM's classpath). Under Kerberos, Hadoop's checks who
 * owns a file through its native library (fstat), which this JVM has not,
 * so NodeManagers could neither serve container logs nor aggregate them.
 * This one has the same API and checks no owner: with the
 * DefaultContainerExecutor every container's files belong to the user
 * running this JVM, whoever the application's user is (a proxy user, say),
 * as on a real cluster they would not. Only the test cluster uses it.
 */
public class SecureIOUtils {
  public SecureIOUtils() {}

  /** A file createForWrite was to create already exists. */
  public static class AlreadyExistsException extends IOException {
    private static final long serialVersionUID = 1L;

    public AlreadyExistsException(String msg) {
      super(msg);
    }

    public AlreadyExistsException(Throwable cause) {
      super(cause);
    }
  }

  public static RandomAccessFile openForRandomRead(File f, String mode, String expectedOwner, String expectedGroup)
      throws IOException {
    return forceSecureOpenForRandomRead(f, mode, expectedOwner, expectedGroup);
  }

  protected static RandomAccessFile forceSecureOpenForRandomRead(File f, String mode, String expectedOwner,
      String expectedGroup) throws IOException {
    return new RandomAccessFile(f, mode);
  }

  public static FSDataInputStream openFSDataInputStream(File f, String expectedOwner, String expectedGroup)
      throws IOException {
    return forceSecureOpenFSDataInputStream(f, expectedOwner, expectedGroup);
  }

  protected static FSDataInputStream forceSecureOpenFSDataInputStream(File f, String expectedOwner,
      String expectedGroup) throws IOException {
    return FileSystem.getLocal(new Configuration()).getRaw().open(new Path(f.getAbsolutePath()));
  }

  public static FileInputStream openForRead(File f, String expectedOwner, String expectedGroup) throws IOException {
    return forceSecureOpenForRead(f, expectedOwner, expectedGroup);
  }

  protected static FileInputStream forceSecureOpenForRead(File f, String expectedOwner, String expectedGroup)
      throws IOException {
    return new FileInputStream(f);
  }

  /** Creates f, which must not exist yet, with the given permission bits. */
  public static FileOutputStream createForWrite(File f, int permissions) throws IOException {
    Set<PosixFilePermission> perms = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] bits = {
        PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
        PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
        PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ};
    for (int i = 0; i < bits.length; i++) {
      if ((permissions & (1 << i)) != 0) {
        perms.add(bits[i]);
      }
    }
    try {
      Files.createFile(f.toPath(), PosixFilePermissions.asFileAttribute(perms));
    } catch (FileAlreadyExistsException e) {
      throw new AlreadyExistsException(e);
    }
    return new FileOutputStream(f);
  }
}
