package footnote.opensearch;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.Configurator;
import org.opensearch.common.logging.LogConfigurator;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.plugins.Plugin;
import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.transport.Netty4Plugin;

/**
 * Starts one OpenSearch 2.x node in this JVM, from the jars on Maven Central.
 *
 * <p>This replaces bin/opensearch + org.opensearch.bootstrap.OpenSearch: no
 * security manager, no jar-hell check, no native (mlockall/seccomp) setup and
 * no bootstrap checks. The HTTP and transport layers come from the
 * transport-netty4-client plugin, loaded as a classpath plugin. The node runs
 * until the JVM gets SIGTERM/SIGINT, then closes cleanly.
 *
 * <pre>
 * java -cp target/classes:$(cat target/classpath.txt) footnote.opensearch.Launcher \
 *   --home /tmp/os/node-0 --cluster-name footnote --node-name node-0 \
 *   --http-port 9200 --transport-port 9300 \
 *   --seed-hosts 127.0.0.1:9300,127.0.0.1:9301 --initial-cluster-managers node-0,node-1
 * </pre>
 */
public final class Launcher {

    private static final String USAGE = String.join("\n",
        "usage: Launcher --home DIR [options] [-E key=value ...]",
        "  --home DIR                     path.home (config/, logs/ created inside; required)",
        "  --data DIR                     path.data (default: HOME/data)",
        "  --cluster-name NAME            cluster.name (default: footnote)",
        "  --node-name NAME               node.name (default: node-0)",
        "  --host HOST                    network.host (default: 127.0.0.1)",
        "  --http-port PORT               http.port (default: 9200)",
        "  --transport-port PORT          transport.port (default: 9300)",
        "  --seed-hosts H:P,H:P           discovery.seed_hosts (transport addresses of the other nodes)",
        "  --initial-cluster-managers A,B cluster.initial_cluster_manager_nodes (node names)",
        "  --single-node                  discovery.type=single-node (then omit the two above)",
        "  --exit-on-stdin-eof            stop the node when stdin closes (the parent process died)",
        "  -E key=value                   any other OpenSearch setting (repeatable)");

    private static final String LOG4J2_PROPERTIES = String.join("\n",
        "status = error",
        "appender.console.type = Console",
        "appender.console.name = console",
        "appender.console.layout.type = PatternLayout",
        "appender.console.layout.pattern = [%d{ISO8601}][%-5p][%-25c{1.}] [%node_name]%marker %m%n",
        "rootLogger.level = info",
        "rootLogger.appenderRef.console.ref = console",
        // chatty at INFO and useless here
        "logger.deprecation.name = org.opensearch.deprecation",
        "logger.deprecation.level = error",
        "");

    private Launcher() {}

    /** Node has a protected constructor that takes classpath plugins; this is the only reason to subclass. */
    static final class EmbeddedNode extends Node {
        EmbeddedNode(Environment env, Collection<Class<? extends Plugin>> plugins) {
            super(env, plugins, true);
        }
    }

    public static void main(String[] argv) throws Exception {
        // What OpenSearch's SystemJvmOptions would set; harmless if already set on the command line.
        setIfAbsent("log4j.shutdownHookEnabled", "false");  // we shut log4j down ourselves, after the node
        setIfAbsent("log4j2.disable.jmx", "true");
        setIfAbsent("io.netty.noUnsafe", "true");
        setIfAbsent("io.netty.noKeySetOptimization", "true");
        setIfAbsent("io.netty.recycler.maxCapacityPerThread", "0");
        setIfAbsent("io.netty.allocator.numDirectArenas", "0");
        setIfAbsent("jna.nosys", "true");

        boolean exitOnStdinEof = false;
        List<String> args = new ArrayList<>();
        for (String a : argv) {
            if (a.equals("--exit-on-stdin-eof")) {
                exitOnStdinEof = true;
            } else {
                args.add(a);
            }
        }
        Settings settings;
        try {
            settings = parse(args.toArray(new String[0]));
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.err.println(USAGE);
            System.exit(64);
            return;
        }

        Path home = Paths.get(settings.get("path.home"));
        Path config = home.resolve("config");
        Files.createDirectories(config);
        Files.createDirectories(home.resolve("logs"));
        Path log4j = config.resolve("log4j2.properties");
        if (!Files.exists(log4j)) {
            Files.write(log4j, LOG4J2_PROPERTIES.getBytes(StandardCharsets.UTF_8));
        }

        String nodeName = settings.get("node.name");
        Environment env = InternalSettingsPreparer.prepareEnvironment(settings, Map.of(), config, () -> nodeName);
        LogConfigurator.setNodeName(nodeName);
        LogConfigurator.configure(env);
        org.apache.logging.log4j.Logger logger = LogManager.getLogger(Launcher.class);

        List<Class<? extends Plugin>> plugins = List.of(Netty4Plugin.class, CommonAnalysisPlugin.class);
        final Node node = new EmbeddedNode(env, plugins);

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                logger.info("footnote launcher: stopping node [{}]", nodeName);
                node.close();
                if (!node.awaitClose(30, TimeUnit.SECONDS)) {
                    logger.warn("footnote launcher: node [{}] did not close within 30s", nodeName);
                } else {
                    logger.info("footnote launcher: node [{}] stopped", nodeName);
                }
            } catch (IOException | InterruptedException e) {
                logger.warn("footnote launcher: error while closing node", e);
            } finally {
                stopped.countDown();
                LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
                Configurator.shutdown(ctx);
            }
        }, "footnote-node-shutdown"));

        try {
            node.start();
        } catch (Throwable t) {
            logger.error("footnote launcher: node failed to start", t);
            System.err.println("footnote launcher: node failed to start: " + t);
            t.printStackTrace();
            Runtime.getRuntime().halt(1);
        }
        logger.info("footnote launcher: node [{}] started (http {}:{})", nodeName,
            settings.get("network.host"), settings.get("http.port"));
        if (exitOnStdinEof) {
            Thread watcher = new Thread(() -> {
                try {
                    while (System.in.read() != -1) {
                        // ignore input; only EOF matters
                    }
                } catch (IOException e) {
                    // treat a broken stdin like EOF
                }
                logger.info("footnote launcher: stdin closed, exiting");
                System.exit(0);  // runs the shutdown hook, which closes the node
            }, "footnote-stdin-watcher");
            watcher.setDaemon(true);
            watcher.start();
        }
        // Keep a non-daemon thread alive until the shutdown hook has closed the node.
        stopped.await();
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    static Settings parse(String[] argv) {
        Settings.Builder b = Settings.builder()
            .put("cluster.name", "footnote")
            .put("node.name", "node-0")
            .put("network.host", "127.0.0.1")
            .put("http.port", "9200")
            .put("transport.port", "9300")
            // a test cluster on a developer disk that is >90% full must still allocate replicas
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            // writes logs/http.ports and logs/transport.ports once bound
            .put("node.portsfile", true);
        List<String> extra = new ArrayList<>();
        boolean singleNode = false;
        String data = null;
        for (int i = 0; i < argv.length; i++) {
            String a = argv[i];
            switch (a) {
                case "-h":
                case "--help":
                    System.out.println(USAGE);
                    System.exit(0);
                    break;
                case "--single-node":
                    singleNode = true;
                    break;
                case "-E":
                    extra.add(value(argv, ++i, a));
                    break;
                case "--home":
                    b.put("path.home", value(argv, ++i, a));
                    break;
                case "--data":
                    data = value(argv, ++i, a);
                    break;
                case "--cluster-name":
                    b.put("cluster.name", value(argv, ++i, a));
                    break;
                case "--node-name":
                    b.put("node.name", value(argv, ++i, a));
                    break;
                case "--host":
                    b.put("network.host", value(argv, ++i, a));
                    break;
                case "--http-port":
                    b.put("http.port", value(argv, ++i, a));
                    break;
                case "--transport-port":
                    b.put("transport.port", value(argv, ++i, a));
                    break;
                case "--seed-hosts":
                    b.putList("discovery.seed_hosts", csv(value(argv, ++i, a)));
                    break;
                case "--initial-cluster-managers":
                    b.putList("cluster.initial_cluster_manager_nodes", csv(value(argv, ++i, a)));
                    break;
                default:
                    if (a.startsWith("-E") && a.length() > 2) {
                        extra.add(a.substring(2));
                    } else {
                        throw new IllegalArgumentException("unknown argument: " + a);
                    }
            }
        }
        if (b.get("path.home") == null) {
            throw new IllegalArgumentException("--home is required");
        }
        Path home = Paths.get(b.get("path.home")).toAbsolutePath();
        b.put("path.home", home.toString());
        b.put("path.data", data != null ? Paths.get(data).toAbsolutePath().toString() : home.resolve("data").toString());
        b.put("path.logs", home.resolve("logs").toString());
        if (singleNode) {
            b.put("discovery.type", "single-node");
        }
        for (String kv : extra) {
            int eq = kv.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("-E expects key=value, got: " + kv);
            }
            b.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        return b.build();
    }

    private static String value(String[] argv, int i, String flag) {
        if (i >= argv.length) {
            throw new IllegalArgumentException(flag + " needs a value");
        }
        return argv[i];
    }

    private static List<String> csv(String s) {
        List<String> out = new ArrayList<>();
        for (String part : s.split(",")) {
            if (!part.isBlank()) {
                out.add(part.trim());
            }
        }
        return out;
    }
}
