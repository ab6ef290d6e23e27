package dev.resilientai.benchmarks.harness;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.resilientai.benchmarks.harness.OutageHarness.Sample;
import org.jspecify.annotations.Nullable;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.IntervalMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.Layer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The harness's timeline as a PNG drawn with JFreeChart: for each client, requests per second by
 * the provider that served them (and failed), and p99 latency per second, with the fault
 * windows shaded.
 */
final class TimelineChart {

	private static final Color PRIMARY = new Color(16, 163, 127);

	private static final Color SECONDARY = new Color(59, 111, 216);

	private static final Color FAILED = new Color(214, 69, 65);

	private TimelineChart() {
	}

	static void write(Report report, Collection<Sample> samples, long start, Path file) throws IOException {
		List<Shade> shades = report.phases()
			.stream()
			.filter((phase) -> !phase.fault().equals("healthy"))
			.map((phase) -> new Shade(phase.phase(), phase.startMillis(), phase.endMillis()))
			.toList();
		// the clients of the run: the Portkey lane's too when it ran
		List<String> clients = List.copyOf(report.phases().get(0).clients().keySet());
		write(clients, shades, report.phases().get(report.phases().size() - 1).endMillis(), samples, Map.of(),
				"Requests per second by serving provider (left) and p99 latency (right, ms); fault windows shaded",
				file, 275 * clients.size());
	}

	/**
	 * Draw a timeline.
	 * @param clients one subplot each, top to bottom
	 * @param shades the windows to shade
	 * @param endMillis the end of the timeline, millis from its start
	 * @param samples the requests
	 * @param lines more lines per client on its millis axis
	 * @param subtitle the chart's subtitle
	 * @param file the PNG
	 * @param height its height in pixels
	 */
	static void write(List<String> clients, List<Shade> shades, long endMillis, Collection<Sample> samples,
			Map<String, XYSeries> lines, String subtitle, Path file, int height) throws IOException {
		CombinedDomainXYPlot combined = new CombinedDomainXYPlot(new NumberAxis("seconds since start"));
		combined.setGap(12);
		long lastSecond = endMillis / 1000;
		for (String client : clients) {
			combined.add(plot(client, samples, shades, lastSecond, lines.get(client)), 1);
		}
		// one legend for the subplots, which share their series
		combined.setFixedLegendItems(((XYPlot) combined.getSubplots().get(0)).getLegendItems());
		JFreeChart chart = new JFreeChart(null, new Font("SansSerif", Font.PLAIN, 12), combined, true);
		chart.addSubtitle(new TextTitle(subtitle));
		chart.setBackgroundPaint(Color.WHITE);
		ChartUtils.saveChartAsPNG(file.toFile(), chart, 1400, height);
	}

	/** A window of the timeline to shade, in millis from its start. */
	record Shade(String name, long startMillis, long endMillis) {
	}

	private static XYPlot plot(String client, Collection<Sample> samples, List<Shade> shades, long lastSecond,
			@Nullable XYSeries line) {
		Map<Long, int[]> perSecond = new TreeMap<>();
		// a second in which nothing completed is a zero, not a gap to draw across
		for (long second = 0; second <= lastSecond; second++) {
			perSecond.put(second, new int[3]);
		}
		Map<Long, java.util.List<Sample>> latencies = new TreeMap<>();
		for (Sample sample : samples) {
			if (!sample.client().equals(client)) {
				continue;
			}
			long second = (long) (sample.startMillis() + sample.latencyMillis()) / 1000;
			int[] counts = perSecond.computeIfAbsent(second, (s) -> new int[3]);
			counts[sample.ok() ? (sample.servedBy().equals("primary") ? 0 : 1) : 2]++;
			latencies.computeIfAbsent(second, (s) -> new java.util.ArrayList<>()).add(sample);
		}
		XYSeries primary = new XYSeries("served by primary");
		XYSeries secondary = new XYSeries("served by secondary");
		XYSeries failed = new XYSeries("failed");
		XYSeries p99 = new XYSeries("p99 ms");
		for (Map.Entry<Long, int[]> entry : perSecond.entrySet()) {
			double second = entry.getKey();
			primary.add(second, (double) entry.getValue()[0]);
			secondary.add(second, (double) entry.getValue()[1]);
			failed.add(second, (double) entry.getValue()[2]);
			java.util.List<Sample> completed = latencies.get(entry.getKey());
			if (completed != null) {
				p99.add(second, Report.percentile(completed, 0.99));
			}
		}
		XYSeriesCollection rates = new XYSeriesCollection();
		rates.addSeries(primary);
		rates.addSeries(secondary);
		rates.addSeries(failed);
		NumberAxis rateAxis = new NumberAxis(client + "  req/s");
		XYLineAndShapeRenderer rateRenderer = new XYLineAndShapeRenderer(true, false);
		rateRenderer.setSeriesPaint(0, PRIMARY);
		rateRenderer.setSeriesPaint(1, SECONDARY);
		rateRenderer.setSeriesPaint(2, FAILED);
		for (int i = 0; i < 3; i++) {
			rateRenderer.setSeriesStroke(i, new BasicStroke(2f));
		}
		XYPlot plot = new XYPlot(rates, null, rateAxis, rateRenderer);
		NumberAxis latencyAxis = new NumberAxis("p99 ms");
		plot.setRangeAxis(1, latencyAxis);
		XYSeriesCollection millis = new XYSeriesCollection(p99);
		if (line != null) {
			millis.addSeries(line);
		}
		plot.setDataset(1, millis);
		plot.mapDatasetToRangeAxis(1, 1);
		XYLineAndShapeRenderer latencyRenderer = new XYLineAndShapeRenderer(true, false);
		latencyRenderer.setSeriesPaint(0, Color.DARK_GRAY);
		latencyRenderer.setSeriesStroke(0, new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
				new float[] { 4f, 4f }, 0f));
		latencyRenderer.setSeriesPaint(1, new Color(230, 140, 20));
		latencyRenderer.setSeriesStroke(1, new BasicStroke(2f));
		plot.setRenderer(1, latencyRenderer);
		plot.setBackgroundPaint(Color.WHITE);
		plot.setRangeGridlinePaint(new Color(220, 220, 220));
		for (Shade shade : shades) {
			IntervalMarker marker = new IntervalMarker(shade.startMillis() / 1000.0, shade.endMillis() / 1000.0,
					new Color(255, 120, 120, 45));
			marker.setLabel(shade.name());
			marker.setLabelAnchor(RectangleAnchor.TOP_LEFT);
			marker.setLabelTextAnchor(TextAnchor.TOP_LEFT);
			plot.addDomainMarker(marker, Layer.BACKGROUND);
		}
		return plot;
	}

}
