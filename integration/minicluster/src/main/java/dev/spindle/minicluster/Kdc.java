package dev.spindle.minicluster;

import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;

import org.apache.hadoop.minikdc.MiniKdc;
import org.apache.kerby.KOptions;
import org.apache.kerby.kerberos.kerb.client.KrbClient;
import org.apache.kerby.kerberos.kerb.client.KrbOption;
import org.apache.kerby.kerberos.kerb.type.ticket.TgtTicket;
import org.apache.kerby.kerberos.kerb.server.KdcConfigKey;
import org.apache.kerby.kerberos.kerb.server.SimpleKdcServer;

/**
 * A Kerberos KDC for tests (Hadoop's MiniKdc, Apache Kerby inside) on
 * 127.0.0.1 with a free TCP port. It creates each --principal with its own
 * keytab, writes a krb5.conf that both Java and Go (gokrb5) clients read, and
 * prints one line "SPINDLE_KDC_READY {json}" on stdout:
 * {"realm", "kdc" (host:port), "krb5_conf", "keytabs" {principal: path},
 * "principals" [principal@REALM], "ccaches" {principal: path}}; each
 * --ccache principal also gets a ticket cache with a fresh TGT. It stops on stdin EOF, SIGTERM or SIGINT.
 */
public final class Kdc {
  static final String READY = "SPINDLE_KDC_READY";

  public static void main(String[] args) throws Exception {
    File work = null;
    String orgName = "SPINDLE";
    String orgDomain = "TEST";
    List<String> principals = new ArrayList<>();
    List<String> ccaches = new ArrayList<>();
    // Kerby's default is aes128-cts-hmac-sha1-96 and des3-cbc-sha1; real
    // clusters (MIT, AD) put aes256 first, so keys get both AES sizes.
    String enctypes = "aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96";
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      String v = i + 1 < args.length ? args[i + 1] : null;
      switch (a) {
        case "--work-dir": work = new File(need(a, v)); i++; break;
        case "--realm": {
          // MiniKdc builds the realm as ORG.DOMAIN: split at the last dot.
          String r = need(a, v);
          int dot = r.lastIndexOf('.');
          if (dot <= 0 || dot == r.length() - 1) {
            usage("--realm must look like NAME.DOMAIN, got " + r);
          }
          orgName = r.substring(0, dot);
          orgDomain = r.substring(dot + 1);
          i++;
          break;
        }
        case "--principal": principals.add(need(a, v)); i++; break;
        case "--enctypes": enctypes = need(a, v); i++; break;
        case "--ccache": ccaches.add(need(a, v)); i++; break;
        default: usage("unknown argument " + a);
      }
    }
    if (work == null) {
      usage("--work-dir is required");
    }
    if (principals.isEmpty()) {
      principals.add("spindle");
      principals.add("rm/localhost");
    }
    work = work.getAbsoluteFile();
    Files.createDirectories(work.toPath());
    if (System.getProperty("spindle.minicluster.log") == null) {
      // log4j.properties sends INFO to this file; set before the first logger exists.
      System.setProperty("spindle.minicluster.log", new File(work, "kdc.log").getPath());
    }
    // Keep stdout for the ready line alone.
    PrintStream out = new PrintStream(new FileOutputStream(java.io.FileDescriptor.out), true, "UTF-8");
    System.setOut(System.err);

    Started k;
    try {
      k = start(work, orgName, orgDomain, principals, ccaches, enctypes);
    } catch (Throwable t) {
      System.err.println("spindle-kdc: start failed: " + t);
      t.printStackTrace(System.err);
      System.exit(2);
      return;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(k.kdc::stop, "spindle-kdc-shutdown"));
    out.println(READY + " " + k.json());
    out.flush();

    CountDownLatch stop = new CountDownLatch(1);
    for (String sig : new String[] {"TERM", "INT"}) {
      sun.misc.Signal.handle(new sun.misc.Signal(sig), s -> stop.countDown());
    }
    Thread watcher = new Thread(() -> {
      try {
        InputStream in = System.in;
        byte[] buf = new byte[256];
        while (in.read(buf) >= 0) {
          // Only the end of stdin matters: the parent is gone or wants us to stop.
        }
      } catch (IOException ignored) {
        // A broken stdin means the parent is gone.
      }
      stop.countDown();
    }, "spindle-kdc-stdin");
    watcher.setDaemon(true);
    watcher.start();
    stop.await();
    System.exit(0); // the shutdown hook stops the KDC
  }

  /** A running KDC and what it made. */
  static final class Started {
    MiniKdc kdc;
    String realm;
    String address;
    File krb5conf;
    /** principal@REALM to keytab, ticket cache, in creation order. */
    final Map<String, File> keytabs = new LinkedHashMap<>();
    final Map<String, File> ccaches = new LinkedHashMap<>();

    String principal(String name) {
      return name + "@" + realm;
    }

    File keytab(String name) {
      return keytabs.get(principal(name));
    }

    String json() {
      List<String> names = new ArrayList<>();
      for (String p : keytabs.keySet()) {
        names.add(quote(p));
      }
      return "{\"realm\":" + quote(realm) + ",\"kdc\":" + quote(address)
          + ",\"krb5_conf\":" + quote(krb5conf.getPath()) + ",\"keytabs\":" + jsonMap(keytabs)
          + ",\"principals\":[" + String.join(",", names) + "],\"ccaches\":" + jsonMap(ccaches) + "}";
    }

    static String jsonMap(Map<String, File> m) {
      List<String> kv = new ArrayList<>();
      for (Map.Entry<String, File> e : m.entrySet()) {
        kv.add(quote(e.getKey()) + ":" + quote(e.getValue().getPath()));
      }
      return "{" + String.join(",", kv) + "}";
    }

    /**
     * A ticket cache (MIT format v4, what kinit writes) at cc holding a TGT
     * got with the principal's keytab; lifetimeSeconds &gt; 0 asks for a
     * ticket that short (an expired ticket cache, for tests).
     */
    void storeTgt(String name, File cc, int lifetimeSeconds) throws Exception {
      KrbClient client = simpleKdc(kdc).getKrbClient();
      // Kerby's client waits a few seconds only: too little on a busy CI machine.
      client.setTimeout(60_000);
      client.init();
      TgtTicket tgt;
      if (lifetimeSeconds > 0) {
        KOptions o = new KOptions();
        o.add(KrbOption.CLIENT_PRINCIPAL, principal(name));
        o.add(KrbOption.USE_KEYTAB, true);
        o.add(KrbOption.KEYTAB_FILE, keytab(name));
        o.add(KrbOption.LIFE_TIME, lifetimeSeconds);
        tgt = client.requestTgt(o);
      } else {
        tgt = client.requestTgt(principal(name), keytab(name));
      }
      client.storeTicket(tgt, cc);
    }
  }

  /**
   * Starts a KDC for realm orgName.orgDomain on 127.0.0.1 (a free port) with
   * each principal and its own keytab under work/keytabs, a ticket cache for
   * each of ccaches, and work/krb5.conf for clients.
   */
  static Started start(File work, String orgName, String orgDomain, List<String> principals, List<String> ccaches,
      String enctypes) throws Exception {
    Properties conf = MiniKdc.createConf();
    conf.setProperty(MiniKdc.KDC_BIND_ADDRESS, "127.0.0.1");
    conf.setProperty(MiniKdc.KDC_PORT, "0");
    conf.setProperty(MiniKdc.ORG_NAME, orgName);
    conf.setProperty(MiniKdc.ORG_DOMAIN, orgDomain);
    File kdcDir = new File(work, "kdc");
    Files.createDirectories(kdcDir.toPath());
    Started k = new Started();
    k.kdc = new MiniKdc(conf, kdcDir);
    k.kdc.start();
    setEncryptionTypes(k.kdc, enctypes);
    k.realm = k.kdc.getRealm();
    k.address = k.kdc.getHost() + ":" + k.kdc.getPort();
    File keytabDir = new File(work, "keytabs");
    Files.createDirectories(keytabDir.toPath());
    for (String p : principals) {
      File kt = new File(keytabDir, p.replace('/', '_') + ".keytab");
      k.kdc.createPrincipal(kt, p);
      k.keytabs.put(k.principal(p), kt);
    }
    for (String p : ccaches) {
      if (!principals.contains(p)) {
        throw new IllegalArgumentException("ticket cache for " + p + ", which is not one of the principals");
      }
      File cc = new File(keytabDir, p.replace('/', '_') + ".ccache");
      k.storeTgt(p, cc, 0);
      k.ccaches.put(k.principal(p), cc);
    }
    k.krb5conf = new File(work, "krb5.conf");
    Files.write(k.krb5conf.toPath(), krb5Conf(k.realm, k.address).getBytes(StandardCharsets.UTF_8));
    return k;
  }

  /**
   * MiniKdc has no setting for the enctypes of new keys and of issued session
   * keys; its Kerby server reads them from its live KdcConfig, so set them
   * there before any of our principals exists.
   */
  static void setEncryptionTypes(MiniKdc kdc, String enctypes) throws Exception {
    SimpleKdcServer server = simpleKdc(kdc);
    server.getKdcConfig().setString(KdcConfigKey.ENCRYPTION_TYPES, enctypes);
    // The TGS principal was made at start with the old list: without new keys
    // the KDC cannot issue a TGT for a client that asks for aes256 only.
    String realm = kdc.getRealm();
    server.getKadmin().updateKeys("krbtgt/" + realm + "@" + realm);
  }

  /** The Kerby server inside MiniKdc, which keeps it private. */
  static SimpleKdcServer simpleKdc(MiniKdc kdc) throws Exception {
    java.lang.reflect.Field f;
    try {
      f = MiniKdc.class.getDeclaredField("simpleKdc");
    } catch (NoSuchFieldException e) {
      throw new IllegalStateException("this MiniKdc has no simpleKdc field: Kdc.java needs updating for it", e);
    }
    f.setAccessible(true);
    return (SimpleKdcServer) f.get(kdc);
  }

  /**
   * TCP only (MiniKdc listens on TCP), no DNS: host names stay as given so
   * service principals like rm/localhost match on both sides.
   */
  static String krb5Conf(String realm, String kdc) {
    return "[libdefaults]\n"
        + "  default_realm = " + realm + "\n"
        + "  udp_preference_limit = 1\n"
        + "  dns_lookup_kdc = false\n"
        + "  dns_lookup_realm = false\n"
        + "  dns_canonicalize_hostname = false\n"
        + "  rdns = false\n"
        + "  ticket_lifetime = 24h\n"
        + "  renew_lifetime = 7d\n"
        + "  forwardable = true\n"
        + "\n[realms]\n"
        + "  " + realm + " = {\n"
        + "    kdc = " + kdc + "\n"
        + "  }\n"
        + "\n[domain_realm]\n"
        + "  localhost = " + realm + "\n"
        + "  .localhost = " + realm + "\n";
  }

  static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  static String need(String flag, String v) {
    if (v == null) {
      usage(flag + " needs a value");
    }
    return v;
  }

  static void usage(String why) {
    System.err.println("spindle-kdc: " + why);
    System.err.println("usage: Kdc --work-dir DIR [--realm NAME.DOMAIN] [--principal NAME]... [--enctypes \"E1 E2\"] [--ccache NAME]...");
    System.exit(64);
  }
}
