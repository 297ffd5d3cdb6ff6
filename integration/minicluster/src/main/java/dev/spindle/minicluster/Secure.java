package dev.spindle.minicluster;

import java.io.File;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.security.UserGroupInformation;
import org.apache.hadoop.security.ssl.KeyStoreTestUtil;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A Kerberized cluster's keys, set up as Hadoop's own secure tests do
 * (SaslDataTransferTestCase, TestContainerManagerSecurity): a MiniKdc in this
 * JVM; one service principal hadoop/localhost, with its keytab, for the
 * NameNode, DataNode, ResourceManager and NodeManagers, and HTTP/localhost
 * for SPNEGO. One, because Hadoop servers accept Kerberos with the JVM's
 * one static login user: in one JVM the last daemon to log in would
 * otherwise answer for all (the NameNode then fails every "GSS initiate").
 * auth_to_local maps it to the user running this JVM, as a real cluster
 * maps nn/ and dn/ to hdfs. The
 * DataNode protects data transfer with SASL and serves HTTPS only, which is
 * how Hadoop runs a secure DataNode without privileged ports; and a user
 * principal named like the OS user with a keytab and a ticket cache.
 *
 * <p>The HTTPS keystore holds a self-signed certificate for localhost and
 * 127.0.0.1 (with subject alternative names, which Go clients require;
 * KeyStoreTestUtil's own certificates have none), also written as PEM for
 * non-Java clients. ssl-server.xml and ssl-client.xml go to work/classpath,
 * which the launcher puts first on the classpath: Hadoop reads them as
 * resources. So do core-site.xml and hdfs-site.xml with the security
 * settings, for what makes its own Configuration from the classpath, as the
 * NodeManager's resource localizer does (without them it reads blocks
 * without the DataNode's SASL handshake, and fails).
 */
final class Secure {
  static final String HOST = "localhost";
  /** The daemons' principal (see above) and SPNEGO's. */
  static final String[] SERVICES = {"hadoop", "HTTP"};

  final Kdc.Started kdc;
  final String user;
  final String rpcProtection;
  final String dataTransferProtection;
  final File caPem;
  final File expiredCcache;

  private Secure(Kdc.Started kdc, String user, String rpcProtection, String dataTransferProtection, File caPem,
      File expiredCcache) {
    this.kdc = kdc;
    this.user = user;
    this.rpcProtection = rpcProtection;
    this.dataTransferProtection = dataTransferProtection;
    this.caPem = caPem;
    this.expiredCcache = expiredCcache;
  }

  static Secure start(File work, String rpcProtection, String dataTransferProtection) throws Exception {
    File cp = new File(work, "classpath");
    String user = System.getProperty("user.name");
    List<String> principals = new java.util.ArrayList<>();
    for (String s : SERVICES) {
      principals.add(s + "/" + HOST);
    }
    principals.add(user);
    Kdc.Started kdc = Kdc.start(new File(work, "kerberos"), "SPINDLE", "TEST", principals, List.of(user),
        "aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96");
    // A ticket cache whose TGT has already expired, for clients' error tests.
    File expired = new File(kdc.keytab(user).getParentFile(), user + ".expired.ccache");
    kdc.storeTgt(user, expired, 5);
    Files.createDirectories(cp.toPath());
    File caPem = writeKeystores(cp);
    Secure s = new Secure(kdc, user, rpcProtection, dataTransferProtection, caPem, expired);
    Configuration site = new Configuration(false);
    s.set(site);
    Map<String, String> core = new java.util.TreeMap<>();
    Map<String, String> hdfs = new java.util.TreeMap<>();
    // This replaces target/classes/core-site.xml, so it carries its setting.
    core.put("fs.AbstractFileSystem.file.impl", FastLocalFs.class.getName());
    for (Map.Entry<String, String> e : site) {
      (e.getKey().startsWith("dfs.") ? hdfs : core).put(e.getKey(), e.getValue());
    }
    Main.writeXml(new File(cp, "core-site.xml"), core);
    Main.writeXml(new File(cp, "hdfs-site.xml"), hdfs);
    return s;
  }

  String principal(String service) {
    return kdc.principal(service + "/" + HOST);
  }

  String keytab(String service) {
    return kdc.keytab(service + "/" + HOST).getPath();
  }

  /** Maps every service principal to the OS user, the superuser of this HDFS. */
  String authToLocal() {
    StringBuilder sb = new StringBuilder();
    for (String s : SERVICES) {
      sb.append("RULE:[2:$1@$0](").append(s).append('@').append(kdc.realm.replace(".", "\\.")).append(")s/.*/")
          .append(user).append("/\n");
    }
    return sb.append("DEFAULT").toString();
  }

  /** Hadoop common and HDFS settings, before MiniDFSCluster starts. */
  void configure(Configuration conf) {
    set(conf);
    UserGroupInformation.setConfiguration(conf);
  }

  private void set(Configuration conf) {
    conf.set("hadoop.security.authentication", "kerberos");
    conf.set("hadoop.rpc.protection", rpcProtection);
    conf.set("hadoop.security.auth_to_local", authToLocal());
    conf.set("dfs.namenode.kerberos.principal", principal("hadoop"));
    conf.set("dfs.namenode.keytab.file", keytab("hadoop"));
    conf.set("dfs.datanode.kerberos.principal", principal("hadoop"));
    conf.set("dfs.datanode.keytab.file", keytab("hadoop"));
    conf.set("dfs.web.authentication.kerberos.principal", principal("HTTP"));
    conf.set("dfs.web.authentication.kerberos.keytab", keytab("HTTP"));
    conf.setBoolean("dfs.block.access.token.enable", true);
    conf.set("dfs.data.transfer.protection", dataTransferProtection);
    conf.set("dfs.http.policy", "HTTPS_ONLY");
    conf.set("dfs.namenode.https-address", HOST + ":0");
    conf.set("dfs.datanode.https.address", HOST + ":0");
    conf.setInt("ipc.client.connect.max.retries.on.sasl", 10);
    conf.set("hadoop.ssl.hostname.verifier", "ALLOW_ALL");
    conf.set("hadoop.ssl.client.conf", "ssl-client.xml");
    conf.set("hadoop.ssl.server.conf", "ssl-server.xml");
    conf.set("dfs.client.https.keystore.resource", "ssl-client.xml");
    conf.set("dfs.https.server.keystore.resource", "ssl-server.xml");
    // SPNEGO on every web server (YARN's included), as on a secure cluster.
    // Hadoop 3.4's HttpServer2 adds the authentication filter itself for
    // this type; listing AuthenticationFilterInitializer in
    // hadoop.http.filter.initializers as well would check each ticket twice
    // (the second time: "Request is a replay").
    conf.set("hadoop.http.authentication.type", "kerberos");
    conf.set("hadoop.http.authentication.simple.anonymous.allowed", "false");
    conf.set("hadoop.http.authentication.kerberos.principal", principal("HTTP"));
    conf.set("hadoop.http.authentication.kerberos.keytab", keytab("HTTP"));
  }

  /** YARN's principals and keytabs, before MiniYARNCluster starts. */
  void configureYarn(YarnConfiguration y) {
    y.set(YarnConfiguration.RM_PRINCIPAL, principal("hadoop"));
    y.set(YarnConfiguration.RM_KEYTAB, keytab("hadoop"));
    y.set(YarnConfiguration.NM_PRINCIPAL, principal("hadoop"));
    y.set(YarnConfiguration.NM_KEYTAB, keytab("hadoop"));
    y.set(YarnConfiguration.RM_WEBAPP_SPNEGO_USER_NAME_KEY, principal("HTTP"));
    y.set(YarnConfiguration.RM_WEBAPP_SPNEGO_KEYTAB_FILE_KEY, keytab("HTTP"));
    y.set(YarnConfiguration.NM_WEBAPP_SPNEGO_USER_NAME_KEY, principal("HTTP"));
    y.set(YarnConfiguration.NM_WEBAPP_SPNEGO_KEYTAB_FILE_KEY, keytab("HTTP"));
  }

  /** What clients need in core-site.xml and hdfs-site.xml, besides addresses. */
  void siteFiles(Map<String, String> core, Map<String, String> hdfs, Configuration d) {
    core.put("hadoop.security.authentication", "kerberos");
    core.put("hadoop.rpc.protection", rpcProtection);
    core.put("hadoop.security.auth_to_local", authToLocal());
    core.put("hadoop.http.authentication.type", "kerberos");
    for (String k : new String[] {"dfs.namenode.kerberos.principal", "dfs.datanode.kerberos.principal",
        "dfs.data.transfer.protection", "dfs.http.policy", "dfs.namenode.https-address",
        "dfs.block.access.token.enable"}) {
      if (d.get(k) != null) {
        hdfs.put(k, d.get(k));
      }
    }
  }

  /** The "kerberos" object of the ready line. */
  String json() {
    return "{\"realm\":" + Kdc.quote(kdc.realm) + ",\"kdc\":" + Kdc.quote(kdc.address)
        + ",\"krb5_conf\":" + Kdc.quote(kdc.krb5conf.getPath())
        + ",\"user_principal\":" + Kdc.quote(kdc.principal(user))
        + ",\"user_keytab\":" + Kdc.quote(kdc.keytab(user).getPath())
        + ",\"user_ccache\":" + Kdc.quote(kdc.ccaches.get(kdc.principal(user)).getPath())
        + ",\"expired_ccache\":" + Kdc.quote(expiredCcache.getPath())
        + ",\"ca_pem\":" + Kdc.quote(caPem.getPath())
        + ",\"rpc_protection\":" + Kdc.quote(rpcProtection)
        + ",\"data_transfer_protection\":" + Kdc.quote(dataTransferProtection)
        + ",\"keytabs\":" + Kdc.Started.jsonMap(kdc.keytabs) + "}";
  }

  void stop() {
    kdc.kdc.stop();
  }

  /**
   * Writes serverKS.jks, trustKS.jks, ssl-server.xml and ssl-client.xml into
   * dir as KeyStoreTestUtil.setupSSLConfig does, with a certificate that
   * names localhost and 127.0.0.1; returns its PEM file.
   */
  static File writeKeystores(File dir) throws Exception {
    KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
    gen.initialize(2048);
    KeyPair kp = gen.generateKeyPair();
    long now = System.currentTimeMillis();
    X500Name name = new X500Name("CN=localhost, O=spindle minicluster");
    JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, BigInteger.valueOf(now),
        new Date(now - 3_600_000L), new Date(now + 30L * 86_400_000L), name, kp.getPublic());
    b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
        new GeneralName(GeneralName.dNSName, "localhost"), new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
    // Its own CA: clients trust this one certificate.
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
    X509Certificate cert = new JcaX509CertificateConverter()
        .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withRSA").build(kp.getPrivate())));
    String serverKS = new File(dir, "serverKS.jks").getPath();
    String trustKS = new File(dir, "trustKS.jks").getPath();
    KeyStoreTestUtil.createKeyStore(serverKS, "serverP", "server", kp.getPrivate(), cert);
    KeyStoreTestUtil.createTrustStore(trustKS, "trustP", "server", cert);
    KeyStoreTestUtil.saveConfig(new File(dir, "ssl-server.xml"),
        KeyStoreTestUtil.createServerSSLConfig(serverKS, "serverP", "serverP", trustKS, "trustP"));
    KeyStoreTestUtil.saveConfig(new File(dir, "ssl-client.xml"),
        KeyStoreTestUtil.createClientSSLConfig(null, null, null, trustKS, "trustP"));
    File pem = new File(dir, "ca.pem");
    String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(cert.getEncoded());
    Files.write(pem.toPath(), ("-----BEGIN CERTIFICATE-----\n" + body + "\n-----END CERTIFICATE-----\n")
        .getBytes(StandardCharsets.US_ASCII));
    return pem;
  }
}
