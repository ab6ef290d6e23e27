/**
 * Data classes: which requests may go to which providers, and classifiers that raise a class.
 */
@NullMarked
package dev.resilientai.routing;

import org.jspecify.annotations.NullMarked;
