/**
 * Auto-configuration of resilient-ai.
 */
@NullMarked
package dev.resilientai.autoconfigure;

import org.jspecify.annotations.NullMarked;
