/**
 * Actuator support: the resilientAi health contributor, the resilientai endpoint, API-key
 * sanitizing.
 */
@NullMarked
package dev.resilientai.actuate;

import org.jspecify.annotations.NullMarked;
