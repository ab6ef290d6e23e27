package dev.resilientai.fleet;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;

import org.jspecify.annotations.Nullable;

import org.springframework.data.redis.connection.RedisConnection;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.core.script.DefaultRedisScript;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.util.Assert;

/**
 * The {@link FleetChannel} on Redis, through the application's {@link RedisConnectionFactory}
 * (Spring Boot's, from {@code spring.data.redis.*}). All keys share one hash tag, so they sit
 * in one slot of a Redis Cluster:
 * <ul>
 * <li>{@code <prefix>:{fleet}:epoch}: a random id, set once; a new one means Redis lost its
 * state</li>
 * <li>{@code <prefix>:{fleet}:version}: the counter that orders every change</li>
 * <li>{@code <prefix>:{fleet}:<provider>:breaker|switch|rest}: {@code 1|version|instance|type},
 * expiring when an open or a rest ends (switches and forced states after the state TTL)</li>
 * <li>channel {@code <prefix>:{fleet}:events}: {@code 1|epoch|version|instance|provider|type|millis}</li>
 * </ul>
 * A change is written and announced by one script, so the order of the announcements is the
 * order of the versions.
 */
public class RedisFleetChannel implements FleetChannel {

	private static final RedisScript<Long> PUBLISH = new DefaultRedisScript<>("""
			redis.call('SET', KEYS[1], ARGV[1], 'NX')
			local epoch = redis.call('GET', KEYS[1])
			local version = redis.call('INCR', KEYS[2])
			if tonumber(ARGV[6]) > 0 then
			  local value = '1|' .. version .. '|' .. ARGV[2] .. '|' .. ARGV[4]
			  if ARGV[8] ~= '' then value = value .. '|' .. ARGV[8] end
			  redis.call('SET', KEYS[3], value, 'PX', ARGV[6])
			else
			  redis.call('DEL', KEYS[3])
			end
			redis.call('PUBLISH', ARGV[7], '1|' .. epoch .. '|' .. version .. '|' .. ARGV[2] .. '|' .. ARGV[3]
			  .. '|' .. ARGV[4] .. '|' .. ARGV[5] .. '|' .. ARGV[8])
			return version
			""", Long.class);

	@SuppressWarnings({ "rawtypes", "unchecked" })
	private static final RedisScript<List<String>> READ = (RedisScript) new DefaultRedisScript<>("""
			redis.call('SET', KEYS[1], ARGV[1], 'NX')
			local out = { redis.call('GET', KEYS[1]), tostring(redis.call('GET', KEYS[2]) or '0') }
			for i = 3, #KEYS do
			  local value = redis.call('GET', KEYS[i])
			  if value then
			    out[#out + 1] = value
			    out[#out + 1] = tostring(redis.call('PTTL', KEYS[i]))
			  else
			    out[#out + 1] = ''
			    out[#out + 1] = '-2'
			  end
			end
			return out
			""", List.class);

	private static final RedisScript<Long> RENEW = new DefaultRedisScript<>("""
			if redis.call('GET', KEYS[1]) == ARGV[1] then
			  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
			end
			return 0
			""", Long.class);

	private final RedisConnectionFactory connectionFactory;

	private final StringRedisTemplate redis;

	private final String keyBase;

	private final String channel;

	private @Nullable RedisConnection subscription;

	/**
	 * Create a channel.
	 * @param connectionFactory the application's Redis connection factory
	 * @param keyPrefix the prefix of every key and of the channel
	 */
	public RedisFleetChannel(RedisConnectionFactory connectionFactory, String keyPrefix) {
		Assert.hasText(keyPrefix, "'keyPrefix' must not be empty");
		this.connectionFactory = connectionFactory;
		this.redis = new StringRedisTemplate(connectionFactory);
		this.redis.afterPropertiesSet();
		this.keyBase = keyPrefix + ":{fleet}:";
		this.channel = this.keyBase + "events";
	}

	@Override
	public long publish(FleetEvent event, Duration keyTtl) {
		Long version = this.redis.execute(PUBLISH,
				List.of(this.keyBase + "epoch", this.keyBase + "version", key(event.provider(), event.type().slot())),
				newEpoch(), event.instance(), event.provider(), event.type().wireName(),
				Long.toString(event.duration().toMillis()), Long.toString(keyTtl.toMillis()), this.channel,
				event.detail());
		if (version == null) {
			throw new IllegalStateException("Redis returned no version");
		}
		return version;
	}

	@Override
	public void renew(String provider, FleetEvent.Slot slot, String value, Duration ttl) {
		this.redis.execute(RENEW, List.of(key(provider, slot)), value, Long.toString(ttl.toMillis()));
	}

	@Override
	public Snapshot read(List<String> providers) {
		List<String> keys = new ArrayList<>();
		keys.add(this.keyBase + "epoch");
		keys.add(this.keyBase + "version");
		for (String provider : providers) {
			for (FleetEvent.Slot slot : FleetEvent.Slot.values()) {
				keys.add(key(provider, slot));
			}
		}
		List<String> result = this.redis.execute(READ, keys, newEpoch());
		if (result == null || result.size() != 2 + 2 * (keys.size() - 2)) {
			throw new IllegalStateException("Redis returned an unexpected answer to the fleet's read");
		}
		Map<String, Map<FleetEvent.Slot, Stored>> values = new LinkedHashMap<>();
		int index = 2;
		for (String provider : providers) {
			Map<FleetEvent.Slot, Stored> slots = new EnumMap<>(FleetEvent.Slot.class);
			for (FleetEvent.Slot slot : FleetEvent.Slot.values()) {
				String value = result.get(index++);
				long pttl = parseLong(result.get(index++));
				if (!value.isEmpty()) {
					slots.put(slot, new Stored(value, (pttl >= 0) ? Duration.ofMillis(pttl) : null));
				}
			}
			values.put(provider, slots);
		}
		return new Snapshot(result.get(0), Math.max(0, parseLong(result.get(1))), values);
	}

	@Override
	public synchronized void subscribe(Consumer<String> messages) {
		closeSubscription();
		RedisConnection connection = this.connectionFactory.getConnection();
		try {
			connection.subscribe((message, pattern) -> messages.accept(new String(message.getBody(), StandardCharsets.UTF_8)),
					this.channel.getBytes(StandardCharsets.UTF_8));
		}
		catch (RuntimeException ex) {
			connection.close();
			throw ex;
		}
		this.subscription = connection;
	}

	@Override
	public boolean isConnectionFailure(RuntimeException failure) {
		for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
			if (cause instanceof org.springframework.dao.DataAccessResourceFailureException
					|| cause instanceof org.springframework.dao.QueryTimeoutException
					|| cause instanceof io.lettuce.core.RedisConnectionException
					|| cause instanceof io.lettuce.core.RedisCommandTimeoutException
					|| cause instanceof io.lettuce.core.RedisCommandInterruptedException
					|| cause instanceof java.io.IOException) {
				return true;
			}
			if (cause.getCause() == cause) {
				break;
			}
		}
		return false;
	}

	@Override
	public synchronized void close() {
		closeSubscription();
	}

	private void closeSubscription() {
		RedisConnection connection = this.subscription;
		this.subscription = null;
		if (connection != null) {
			try {
				connection.close();
			}
			catch (RuntimeException ex) {
				// the connection is gone already
			}
		}
	}

	private String key(String provider, FleetEvent.Slot slot) {
		return this.keyBase + provider + ":" + slot.name().toLowerCase(java.util.Locale.ROOT);
	}

	private static String newEpoch() {
		return UUID.randomUUID().toString().substring(0, 13).replace("-", "");
	}

	private static long parseLong(String value) {
		try {
			return Long.parseLong(value);
		}
		catch (NumberFormatException ex) {
			return -2;
		}
	}

}
