/**
 * The audit trail: one record per request, published as an application event.
 */
@NullMarked
package dev.resilientai.audit;

import org.jspecify.annotations.NullMarked;
