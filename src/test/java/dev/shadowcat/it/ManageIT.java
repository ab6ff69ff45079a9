package dev.shadowcat.it;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import org.jboss.arquillian.container.test.api.Deployer;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.OperateOnDeployment;
import org.jboss.arquillian.container.test.api.RunAsClient;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.openmbean.CompositeData;
import javax.management.openmbean.TabularData;
import java.io.StringReader;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Operating the gateway from the container's tools: its MXBeans (read through the platform MBean server, as JConsole
 * or Jolokia would), closing a session and reloading the configuration from JMX, from {@code POST /api/config/reload}
 * and from a change of the file; what a reload keeps, replaces and refuses; and no MBean left after the undeploy.
 */
@ExtendWith(ArquillianExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@RunAsClient
class ManageIT {
    private static final String DEPLOYMENT = "shadowcat-manage";
    private static final MBeanServer JMX = ManagementFactory.getPlatformMBeanServer();
    private static final String DEMO = "[\"${java}\", \"-XX:TieredStopAtLevel=1\", \"-cp\", \"${webapp.classpath}\", \"dev.shadowcat.demo.DemoMcpServer\"]";
    private static Path configFile;
    private static RawMcp kept;

    @ArquillianResource
    private Deployer deployer;

    @Deployment(name = DEPLOYMENT, managed = false, testable = false)
    static WebArchive war() {
        return BuiltWar.archive();
    }

    private static String config(String extraUpstreams, String filterDeny, int replayBytes) {
        return """
                {
                  "server": { "replayBytes": %d },
                  "upstreams": {
                    "demo": { "command": %s, "mode": "shared", "pool": { "maxSize": 1, "minIdle": 1 } },
                    "other": { "command": %2$s, "mode": "shared", "pool": { "maxSize": 1, "minIdle": 1 } }%s
                  },
                  "pipeline": { "filters": { "demo": { "tools": { "deny": [%s] } } } }
                }
                """.formatted(replayBytes, DEMO, extraUpstreams, filterDeny);
    }

    private static ObjectName name(String type, String upstream) throws Exception {
        return new ObjectName("dev.shadowcat:type=" + type + ",context=\"/\"" + (upstream == null ? "" : ",name=\"" + upstream + "\""));
    }

    private static Set<ObjectName> ours() throws Exception {
        return JMX.queryNames(new ObjectName("dev.shadowcat:*"), null);
    }

    private static URI at(URL base, String path) {
        return URI.create(base.toString()).resolve(path.substring(1));
    }

    private static RawMcp open(URI endpoint) throws Exception {
        return new RawMcp(endpoint).open();
    }

    private static int ping(RawMcp s) throws Exception {
        return s.post("{\"jsonrpc\":\"2.0\",\"id\":99,\"method\":\"ping\"}").statusCode();
    }

    private static String tools(RawMcp s) throws Exception {
        return s.post("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}").body();
    }

    private static JsonObject json(String s) {
        return Json.createReader(new StringReader(s)).readObject();
    }

    @Test
    @Order(1)
    void deploys() throws Exception {
        assertEquals(Set.of(), ours(), "no MBean before the deploy");
        configFile = BuiltWar.deploy(deployer, DEPLOYMENT, config("", "", 4_194_304));
    }

    @Test
    @Order(2)
    void theMBeansShowTheGatewayItsUpstreamsAndSessions_andCloseASession(
            @ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        ObjectName gw = name("Gateway", null);
        assertEquals("RUNNING", JMX.getAttribute(gw, "State"));
        assertEquals(configFile.toAbsolutePath().toString(), JMX.getAttribute(gw, "ConfigSource"));
        assertFalse(((String) JMX.getAttribute(gw, "Version")).isBlank());
        assertTrue(JMX.isRegistered(name("Upstream", "demo")) && JMX.isRegistered(name("Upstream", "other")), ours().toString());
        assertEquals("stdio", JMX.getAttribute(name("Upstream", "demo"), "Kind"));
        assertEquals("shared", JMX.getAttribute(name("Upstream", "demo"), "Transport"));

        RawMcp s = open(at(base, "/mcp/demo"));
        ObjectName sessions = name("Sessions", null);
        assertEquals(1, JMX.getAttribute(sessions, "Count"));
        TabularData byUpstream = (TabularData) JMX.getAttribute(sessions, "CountByUpstream");
        CompositeData row = byUpstream.get(new Object[]{"demo"});
        assertEquals(1, row.get("value"));
        String[] handles = (String[]) JMX.getAttribute(sessions, "Handles");
        assertEquals(1, handles.length);
        assertFalse(handles[0].equals(s.sessionId), "a handle, never the secret session id");
        assertEquals(true, JMX.invoke(sessions, "closeSession", new Object[]{handles[0]}, new String[]{String.class.getName()}));
        assertEquals(404, ping(s), "the client learns its session is gone");
        assertEquals(false, JMX.invoke(sessions, "closeSession", new Object[]{"no-such"}, new String[]{String.class.getName()}));
        assertEquals(0, JMX.getAttribute(sessions, "Count"));
    }

    @Test
    @Order(3)
    void aReloadFromJmx_addsAnUpstream_changesAFilter_keepsUnchangedSessions_andNamesWhatNeedsARestart(
            @ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        kept = open(at(base, "/mcp/other"));
        RawMcp demo = open(at(base, "/mcp/demo"));
        assertTrue(tools(demo).contains("\"crash\""));
        Files.writeString(configFile, config(",\n\"third\": { \"command\": " + DEMO + ", \"mode\": \"shared\" }", "\"crash\"", 1_000_000));
        JsonObject r = json((String) JMX.invoke(name("Gateway", null), "reloadConfig", null, null));
        assertTrue(r.getBoolean("applied"), r.toString());
        assertEquals(List.of("third"), r.getJsonArray("added").getValuesAs(jakarta.json.JsonString.class).stream().map(jakarta.json.JsonString::getString).toList());
        assertEquals(0, r.getJsonArray("changed").size(), "same definitions: nothing replaced " + r);
        assertTrue(r.getJsonArray("needsRestart").toString().contains("server.replayBytes"), r.toString());
        assertTrue(JMX.isRegistered(name("Upstream", "third")), "the new upstream has its MBean");

        assertFalse(tools(demo).contains("\"crash\""), "the new filter applies to the open session at once");
        assertEquals(200, ping(kept), "a session of an unchanged upstream goes on");
        assertEquals(200, ping(open(at(base, "/mcp/third"))), "the new upstream serves");
        HttpResponse<String> api = RawMcp.HTTP.send(HttpRequest.newBuilder(at(base, "/api/config")).timeout(RawMcp.TIMEOUT).build(),
                HttpResponse.BodyHandlers.ofString());
        assertTrue(api.body().contains("\"applied\":true"), api.body());
    }

    @Test
    @Order(4)
    void aBrokenFileIsRefusedWhole_andNothingChanges(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        String before = Files.readString(configFile);
        Files.writeString(configFile, before.replace("\"mode\": \"shared\"", "\"mode\": \"pooled\""));
        HttpResponse<String> r = RawMcp.HTTP.send(HttpRequest.newBuilder(at(base, "/api/config/reload")).timeout(RawMcp.TIMEOUT)
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(422, r.statusCode(), r.body());
        JsonObject o = json(r.body());
        assertFalse(o.getBoolean("applied"));
        assertTrue(o.getString("error").contains("upstreams.demo.mode"), "the error names the key: " + o);
        assertEquals(200, ping(kept), "nothing changed");
        assertTrue(JMX.isRegistered(name("Upstream", "third")));
        Files.writeString(configFile, before);
    }

    @Test
    @Order(5)
    void changingAnUpstreamEndsItsOldSessions_newOnesGetTheNewDefinition_andTheFileIsWatched(
            @ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL base) throws Exception {
        RawMcp old = open(at(base, "/mcp/demo"));
        String pidBefore = RawMcp.text(old.post(RawMcp.call(5, "pid", "{}")).body());
        // a new pool size: a new definition of demo; third removed. No call: the file watcher sees it
        Files.writeString(configFile, config("", "\"crash\"", 1_000_000).replace("\"maxSize\": 1, \"minIdle\": 1 } },\n    \"other\"",
                "\"maxSize\": 2, \"minIdle\": 1 } },\n    \"other\""));
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (JMX.isRegistered(name("Upstream", "third")) && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertFalse(JMX.isRegistered(name("Upstream", "third")), "the watcher reloaded: third is gone");
        JsonObject last = json((String) JMX.getAttribute(name("Gateway", null), "LastReload"));
        assertTrue(last.getJsonArray("changed").toString().contains("demo") && last.getJsonArray("removed").toString().contains("third"), last.toString());
        while (ping(old) != 404 && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertEquals(404, ping(old), "the old definition's session ended: its client initializes again");
        RawMcp fresh = open(at(base, "/mcp/demo"));
        String pidAfter = RawMcp.text(fresh.post(RawMcp.call(6, "pid", "{}")).body());
        assertFalse(pidAfter.equals(pidBefore), "a child of the new pool serves it: " + pidBefore + " / " + pidAfter);
        assertEquals(404, new RawMcp(at(base, "/mcp/third")).post(RawMcp.initializeBody("2025-11-25")).statusCode(), "removed");
        assertEquals(200, ping(kept), "other was not touched");
        TabularData stats = (TabularData) JMX.getAttribute(name("Upstream", "demo"), "Stats");
        assertEquals("2", stats.get(new Object[]{"max"}).get("value"), "the MBean shows the new definition's pool");
    }

    @Test
    @Order(90)
    void undeploys_leavingNoMBean() throws Exception {
        deployer.undeploy(DEPLOYMENT);
        assertEquals(Set.of(), ours(), "every MBean unregistered");
    }
}
