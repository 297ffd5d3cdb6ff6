package dev.spindle.minicluster;

import java.lang.reflect.Field;
import java.util.Collections;
import java.util.Enumeration;

import javax.servlet.FilterConfig;
import javax.servlet.ServletContext;

import com.google.inject.servlet.GuiceFilter;
import org.apache.hadoop.service.Service;
import org.apache.hadoop.yarn.server.nodemanager.NodeManager;
import org.apache.hadoop.yarn.server.nodemanager.webapp.WebServer;
import org.apache.hadoop.yarn.server.resourcemanager.ResourceManager;
import org.apache.hadoop.yarn.webapp.WebApp;
import org.eclipse.jetty.servlet.FilterHolder;
import org.eclipse.jetty.webapp.WebAppContext;

/**
 * Makes every Hadoop web server in this JVM answer for its own daemon.
 *
 * <p>Hadoop's WebApps registers Guice's GuiceFilter with Jetty by class name,
 * and a GuiceFilter made that way dispatches through Guice's one static
 * pipeline, which each new web app's injector overwrites ("Multiple Servlet
 * injectors detected"). In one JVM, every NodeManager's web address (and the
 * ResourceManager's) then serves the last NodeManager started: its
 * containers, its logs. Each WebApp keeps the GuiceFilter its own injector
 * made, bound to its own pipeline; this puts that filter into its Jetty
 * filter holder. A real cluster has one web app per JVM and never needs this.
 */
final class OwnWebPipelines {
  private OwnWebPipelines() {}

  /** Fixes the ResourceManager's web server; call once every web app has started. */
  static void apply(ResourceManager rm) throws ReflectiveOperationException, javax.servlet.ServletException {
    apply((WebApp) field(ResourceManager.class, "webApp").get(rm));
  }

  /** Fixes a NodeManager's web server; call once every web app has started. */
  static void apply(NodeManager nm) throws ReflectiveOperationException, javax.servlet.ServletException {
    for (Service s : nm.getServices()) {
      if (s instanceof WebServer) {
        apply((WebApp) field(WebServer.class, "webApp").get(s));
        return;
      }
    }
    throw new IllegalStateException("NodeManager " + nm.getName() + " has no web server");
  }

  static void apply(WebApp app) throws ReflectiveOperationException, javax.servlet.ServletException {
    GuiceFilter own = (GuiceFilter) field(WebApp.class, "guiceFilter").get(app);
    WebAppContext ctx = app.httpServer().getWebAppContext();
    FilterHolder holder = ctx.getServletHandler().getFilter("guice");
    if (own == null || holder == null) {
      throw new IllegalStateException("web app " + app.name() + ": no Guice filter to replace");
    }
    // Initialises this app's own pipeline (its servlets, Jersey) as Jetty
    // did for the static one.
    own.init(config(ctx.getServletContext()));
    // FilterHolder.setFilter only takes effect at a (re)start, and stopping
    // the holder would destroy the shared static pipeline another app uses.
    field(FilterHolder.class, "_filter").set(holder, own);
  }

  private static Field field(Class<?> c, String name) throws NoSuchFieldException {
    Field f = c.getDeclaredField(name);
    f.setAccessible(true);
    return f;
  }

  private static FilterConfig config(ServletContext sc) {
    return new FilterConfig() {
      @Override public String getFilterName() { return "guice"; }
      @Override public ServletContext getServletContext() { return sc; }
      @Override public String getInitParameter(String name) { return null; }
      @Override public Enumeration<String> getInitParameterNames() { return Collections.emptyEnumeration(); }
    };
  }
}
