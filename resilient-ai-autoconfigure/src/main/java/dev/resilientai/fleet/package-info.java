/**
 * Fleet sharing: instances of one application share their providers' state changes (breaker
 * opened, forced open or closed, kill switch, {@code Retry-After} rests) through Redis and
 * apply each other's to their local state. Requests never wait on Redis.
 */
@NullMarked
package dev.resilientai.fleet;

import org.jspecify.annotations.NullMarked;
