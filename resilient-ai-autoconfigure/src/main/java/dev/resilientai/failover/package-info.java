/**
 * The failover loop: providers, error classification, attempt deadlines and cancellation.
 */
@NullMarked
package dev.resilientai.failover;

import org.jspecify.annotations.NullMarked;
