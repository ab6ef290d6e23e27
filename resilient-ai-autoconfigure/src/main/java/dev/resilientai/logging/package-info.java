/**
 * What the starter says in the logs: the routing table at startup and, rate limited, a
 * provider's breaker transitions and first failures, all on the {@code dev.resilientai} logger.
 */
@NullMarked
package dev.resilientai.logging;

import org.jspecify.annotations.NullMarked;
