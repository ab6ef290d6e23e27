/**
 * The ResilientChatClient implementation and the advisor that carries a request's data class.
 */
@NullMarked
package dev.resilientai.client;

import org.jspecify.annotations.NullMarked;
