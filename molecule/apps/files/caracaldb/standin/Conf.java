// STAND-IN for tests only (molecule/apps), never shipped: reads the flat
// `key = value` HOCON the roles caracaldb and gvod render (-Dconfig.file).
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

final class Conf {
    final Map<String, String> values = new TreeMap<>();

    Conf() throws IOException {
        String file = System.getProperty("config.file");
        if (file == null) throw new IllegalStateException("stand-in: -Dconfig.file is not set");
        for (String raw : Files.readAllLines(Path.of(file))) {
            String line = raw.strip();
            int eq = line.indexOf('=');
            if (line.isEmpty() || line.startsWith("#") || eq < 0) continue;
            String value = line.substring(eq + 1).strip();
            if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) value = value.substring(1, value.length() - 1);
            values.put(line.substring(0, eq).strip(), value);
        }
    }

    String get(String key) {
        String value = values.get(key);
        if (value == null) throw new IllegalStateException("stand-in: " + key + " is missing from " + System.getProperty("config.file"));
        return value;
    }

    int port(String key) { return Integer.parseInt(get(key)); }

    static void log(String what, String line) { System.out.println("stand-in " + what + ": " + line); System.out.flush(); }
}
