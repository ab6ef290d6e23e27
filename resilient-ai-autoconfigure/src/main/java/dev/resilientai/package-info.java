/**
 * The public API of resilient-ai: the client users inject and the exceptions it throws.
 */
@NullMarked
package dev.resilientai;

import org.jspecify.annotations.NullMarked;
