package baleine.model;

import baleine.model.blocks.AttentionBlock;
import baleine.model.blocks.FeedForward;
import baleine.model.blocks.RmsNorm;

/** A pre-norm transformer layer: {@code h += attn(attnNorm(h)); h += ffn(ffnNorm(h))}. */
public record Layer(RmsNorm attnNorm, AttentionBlock attention, RmsNorm ffnNorm, FeedForward ffn) {
}
