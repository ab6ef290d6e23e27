package dev.resilientai.benchmarks.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A process's memory as Linux reports it in {@code /proc/<pid>/status}: {@code VmRSS} (resident
 * now) and {@code VmHWM} (the resident peak since the process started); and its CPU time.
 */
final class ProcMemory {

	private ProcMemory() {
	}

	/**
	 * Resident set size now.
	 * @param pid the process
	 * @return KiB, or -1 where there is no {@code /proc} or the process is gone
	 */
	static long rssKiB(long pid) {
		return field(pid, "VmRSS:");
	}

	/**
	 * Peak resident set size since the process started.
	 * @param pid the process
	 * @return KiB, or -1
	 */
	static long peakRssKiB(long pid) {
		return field(pid, "VmHWM:");
	}

	/**
	 * CPU time the process has used, user and system, from {@code /proc/<pid>/stat}.
	 * @param pid the process
	 * @return milliseconds (at the usual 100 clock ticks per second), or -1
	 */
	static long cpuMillis(long pid) {
		try {
			String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
			// the fields after the command name, which is in parentheses and may hold spaces
			String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
			return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * 10;
		}
		catch (IOException | RuntimeException ex) {
			return -1;
		}
	}

	private static long field(long pid, String name) {
		try {
			for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
				if (line.startsWith(name)) {
					return Long.parseLong(line.substring(name.length()).replace("kB", "").trim());
				}
			}
		}
		catch (IOException | RuntimeException ex) {
			// no /proc here, or the process ended
		}
		return -1;
	}

}
