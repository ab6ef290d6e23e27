/**
 * Micrometer meters of the failover layer.
 */
@NullMarked
package dev.resilientai.metrics;

import org.jspecify.annotations.NullMarked;
