// Test oracle: the JDK's own DIGEST-MD5 server, set up the way Hadoop's
// SaslRpcServer sets it up for TOKEN auth (protocol "", server "default").
// Lines of hex on stdin/stdout; wrapped client messages are echoed back wrapped.
import javax.security.auth.callback.*;
import javax.security.sasl.*;
import java.io.*;
import java.util.*;

public class DigestServer {
  public static void main(String[] args) throws Exception {
    String qop = args[0];
    char[] pw = args[1].toCharArray();
    Map<String, String> props = new HashMap<>();
    props.put(Sasl.QOP, qop);
    props.put(Sasl.SERVER_AUTH, "true");
    CallbackHandler cb = cbs -> {
      for (Callback c : cbs) {
        if (c instanceof PasswordCallback) {
          ((PasswordCallback) c).setPassword(pw);
        } else if (c instanceof AuthorizeCallback) {
          AuthorizeCallback ac = (AuthorizeCallback) c;
          ac.setAuthorized(ac.getAuthenticationID().equals(ac.getAuthorizationID()));
          if (ac.isAuthorized()) ac.setAuthorizedID(ac.getAuthorizationID());
        }
      }
    };
    SaslServer s = Sasl.createSaslServer("DIGEST-MD5", "", "default", props, cb);
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
    PrintStream out = System.out;
    out.println(hex(s.evaluateResponse(new byte[0])));
    out.flush();
    byte[] r;
    try {
      r = s.evaluateResponse(unhex(in.readLine()));
    } catch (SaslException e) {
      out.println("ERR " + e.getMessage());
      out.flush();
      return;
    }
    out.println(hex(r));
    out.println(s.getNegotiatedProperty(Sasl.QOP));
    out.flush();
    String line;
    while ((line = in.readLine()) != null && !line.isEmpty()) {
      byte[] w = unhex(line);
      byte[] p = s.unwrap(w, 0, w.length);
      out.println(hex(s.wrap(p, 0, p.length)));
      out.flush();
    }
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
