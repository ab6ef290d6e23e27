/**
 * Adapters between providers and the HTTP clients or Spring AI types they are built on.
 */
@NullMarked
package dev.resilientai.provider;

import org.jspecify.annotations.NullMarked;
