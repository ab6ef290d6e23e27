/**
 * Web support: the starter's exceptions as RFC 9457 problem details for Spring MVC and
 * WebFlux applications.
 */
@NullMarked
package dev.resilientai.web;

import org.jspecify.annotations.NullMarked;
