package dev.spindle.minicluster;

import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.SimpleFormatter;

import org.apache.log4j.Logger;

/**
 * Sends java.util.logging records (Guice, Jersey) to log4j, so they land in
 * the cluster's log file with Hadoop's and obey the same console threshold.
 * Named as the handler in logging.properties.
 */
public final class JulToLog4j extends Handler {
  private final SimpleFormatter fmt = new SimpleFormatter();

  @Override
  public void publish(LogRecord r) {
    if (r == null || !isLoggable(r)) {
      return;
    }
    String name = r.getLoggerName() == null ? "jul" : r.getLoggerName();
    Logger.getLogger(name).log(level(r.getLevel()), fmt.formatMessage(r), r.getThrown());
  }

  static org.apache.log4j.Level level(Level l) {
    int v = l.intValue();
    if (v >= Level.SEVERE.intValue()) {
      return org.apache.log4j.Level.ERROR;
    }
    if (v >= Level.WARNING.intValue()) {
      return org.apache.log4j.Level.WARN;
    }
    if (v >= Level.INFO.intValue()) {
      return org.apache.log4j.Level.INFO;
    }
    return org.apache.log4j.Level.DEBUG;
  }

  @Override
  public void flush() {}

  @Override
  public void close() {}
}
