// Test oracle: the JDK's own GSSAPI (Kerberos) SASL server, set up the way
// Hadoop's SaslRpcServer sets it up for KERBEROS auth: a keytab login
// (Krb5LoginModule, acceptor only), then Sasl.createSaslServer("GSSAPI",
// service, host, {QOP, SERVER_AUTH}) inside Subject.doAs.
// Args: qop principal keytab. Needs -Djava.security.krb5.conf.
// Lines of hex on stdin/stdout. For each client token the server prints
// "C <hex>" (a challenge, possibly empty) or, when authentication completes,
// "DONE <qop> <authorizationID>" (after a final "C <hex>" if the server had a
// last token); on failure "ERR <message>". Then every wrapped client message
// is unwrapped and echoed back wrapped; an empty line ends the session.
import javax.security.auth.Subject;
import javax.security.auth.callback.*;
import javax.security.auth.login.*;
import javax.security.sasl.*;
import java.io.*;
import java.security.PrivilegedExceptionAction;
import java.util.*;

public class GSSAPIServer {
  public static void main(String[] args) throws Exception {
    String qop = args[0];
    String principal = args[1];
    String keytab = args[2];
    PrintStream out = System.out;
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in));

    Map<String, String> opts = new HashMap<>();
    opts.put("useKeyTab", "true");
    opts.put("keyTab", keytab);
    opts.put("storeKey", "true");
    opts.put("doNotPrompt", "true");
    opts.put("principal", principal);
    opts.put("isInitiator", "false");
    opts.put("refreshKrb5Config", "true");
    Configuration jaas = new Configuration() {
      @Override
      public AppConfigurationEntry[] getAppConfigurationEntry(String name) {
        return new AppConfigurationEntry[] {new AppConfigurationEntry(
            "com.sun.security.auth.module.Krb5LoginModule",
            AppConfigurationEntry.LoginModuleControlFlag.REQUIRED, opts)};
      }
    };
    LoginContext lc = new LoginContext("server", new Subject(), null, jaas);
    lc.login();

    // principal is service/host@REALM
    String service = principal.substring(0, principal.indexOf('/'));
    String host = principal.substring(principal.indexOf('/') + 1, principal.indexOf('@'));
    Map<String, String> props = new HashMap<>();
    props.put(Sasl.QOP, qop);
    props.put(Sasl.SERVER_AUTH, "true");
    CallbackHandler cb = cbs -> {
      for (Callback c : cbs) {
        if (c instanceof AuthorizeCallback) {
          AuthorizeCallback ac = (AuthorizeCallback) c;
          ac.setAuthorized(ac.getAuthenticationID().equals(ac.getAuthorizationID()));
          if (ac.isAuthorized()) ac.setAuthorizedID(ac.getAuthorizationID());
        }
      }
    };
    SaslServer s = Subject.doAs(lc.getSubject(),
        (PrivilegedExceptionAction<SaslServer>) () -> Sasl.createSaslServer("GSSAPI", service, host, props, cb));

    try {
      while (!s.isComplete()) {
        String line = in.readLine();
        if (line == null) return;
        byte[] c = s.evaluateResponse(unhex(line));
        if (c != null) out.println("C " + hex(c));
        out.flush();
      }
    } catch (SaslException e) {
      out.println("ERR " + describe(e));
      out.flush();
      return;
    }
    out.println("DONE " + s.getNegotiatedProperty(Sasl.QOP) + " " + s.getAuthorizationID());
    out.flush();
    String line;
    while ((line = in.readLine()) != null && !line.isEmpty()) {
      try {
        byte[] w = unhex(line);
        byte[] p = s.unwrap(w, 0, w.length);
        out.println(hex(s.wrap(p, 0, p.length)));
      } catch (SaslException e) {
        out.println("ERR " + describe(e));
      }
      out.flush();
    }
  }

  static String describe(Throwable e) {
    StringBuilder sb = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (sb.length() > 0) sb.append(": ");
      sb.append(t.getClass().getSimpleName()).append(' ').append(t.getMessage());
    }
    return sb.toString().replace('\n', ' ');
  }

  static String hex(byte[] b) {
    StringBuilder sb = new StringBuilder();
    for (byte x : b) sb.append(String.format("%02x", x));
    return sb.toString();
  }

  static byte[] unhex(String s) {
    byte[] b = new byte[s.length() / 2];
    for (int i = 0; i < b.length; i++) b[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
    return b;
  }
}
