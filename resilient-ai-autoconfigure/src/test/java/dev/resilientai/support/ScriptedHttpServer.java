package dev.resilientai.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback HTTP/1.1 server driven by a script, for what WireMock cannot do: send some
 * chunks of a stream and then reset the connection, or send headers and then stay silent
 * until the client gives up. It counts requests and the connections still open.
 */
public final class ScriptedHttpServer implements AutoCloseable {

	private final ServerSocket serverSocket;

	private final AtomicInteger requests = new AtomicInteger();

	private final AtomicInteger openConnections = new AtomicInteger();

	private volatile Script script = (exchange) -> exchange.respond(503, "application/json", "{}");

	public ScriptedHttpServer() throws IOException {
		this.serverSocket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
		Thread acceptor = new Thread(this::acceptLoop, "scripted-http-accept");
		acceptor.setDaemon(true);
		acceptor.start();
	}

	public String baseUrl() {
		return "http://127.0.0.1:" + this.serverSocket.getLocalPort();
	}

	public void script(Script script) {
		this.script = script;
	}

	public int requests() {
		return this.requests.get();
	}

	public int openConnections() {
		return this.openConnections.get();
	}

	public void reset() {
		this.requests.set(0);
	}

	/**
	 * Wait until the clients have closed every connection.
	 * @param timeout how long to wait
	 * @return {@code true} if no connection is open
	 */
	public boolean awaitNoOpenConnections(Duration timeout) throws InterruptedException {
		long deadline = System.nanoTime() + timeout.toNanos();
		while (this.openConnections.get() > 0 && System.nanoTime() < deadline) {
			TimeUnit.MILLISECONDS.sleep(20);
		}
		return this.openConnections.get() == 0;
	}

	private void acceptLoop() {
		while (!this.serverSocket.isClosed()) {
			try {
				Socket socket = this.serverSocket.accept();
				this.openConnections.incrementAndGet();
				Thread handler = new Thread(() -> handle(socket), "scripted-http-connection");
				handler.setDaemon(true);
				handler.start();
			}
			catch (IOException ex) {
				return;
			}
		}
	}

	private void handle(Socket socket) {
		try (socket) {
			Exchange exchange = new Exchange(socket);
			if (exchange.readRequest() == null) {
				return;
			}
			this.requests.incrementAndGet();
			this.script.serve(exchange);
		}
		catch (IOException | InterruptedException ex) {
			// the client went away: that is what most scripts wait for
		}
		finally {
			this.openConnections.decrementAndGet();
		}
	}

	@Override
	public void close() throws IOException {
		this.serverSocket.close();
	}

	/**
	 * What the server does with one request.
	 */
	@FunctionalInterface
	public interface Script {

		void serve(Exchange exchange) throws IOException, InterruptedException;

	}

	/**
	 * One request and its connection.
	 */
	public static final class Exchange {

		private final Socket socket;

		private final InputStream in;

		private final OutputStream out;

		Exchange(Socket socket) throws IOException {
			this.socket = socket;
			this.in = socket.getInputStream();
			this.out = socket.getOutputStream();
		}

		String readRequest() throws IOException {
			ByteArrayOutputStream head = new ByteArrayOutputStream();
			int window = 0;
			while (window != 0x0D0A0D0A) {
				int b = this.in.read();
				if (b < 0) {
					return null;
				}
				head.write(b);
				window = (window << 8) | b;
			}
			int length = 0;
			for (String line : head.toString(StandardCharsets.ISO_8859_1).split("\r\n")) {
				if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
					length = Integer.parseInt(line.substring(15).trim());
				}
			}
			return new String(this.in.readNBytes(length), StandardCharsets.UTF_8);
		}

		public void respond(int status, String contentType, String body) throws IOException {
			byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
			write("HTTP/1.1 " + status + " X\r\nContent-Type: " + contentType + "\r\nContent-Length: " + bytes.length
					+ "\r\nConnection: close\r\n\r\n");
			this.out.write(bytes);
			this.out.flush();
		}

		/** Send the headers of a body that runs until the connection closes. */
		public void startStream(String contentType) throws IOException {
			write("HTTP/1.1 200 OK\r\nContent-Type: " + contentType + "\r\nConnection: close\r\n\r\n");
		}

		public void send(String data) throws IOException {
			write(data);
		}

		/** Block until the client closes the connection. */
		public void awaitClientClose() throws IOException {
			while (this.in.read() >= 0) {
				// drain
			}
		}

		/** Abort the connection with a TCP reset. */
		public void reset() throws IOException {
			this.socket.setSoLinger(true, 0);
			this.socket.close();
		}

		private void write(String text) throws IOException {
			try {
				this.out.write(text.getBytes(StandardCharsets.UTF_8));
				this.out.flush();
			}
			catch (SocketException ex) {
				throw new IOException("client closed the connection", ex);
			}
		}

	}

}
