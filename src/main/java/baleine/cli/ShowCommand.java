package baleine.cli;

import baleine.api.Baleine;
import baleine.format.WeightMemory;
import baleine.model.Architectures;
import baleine.model.DecoderModel;
import baleine.model.ModelInfo;
import baleine.tokenizer.NoTokenizerException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

@Command(name = "show", description = "Describe a model: architecture, parameters, context, chat template, files, license.")
final class ShowCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL", description = "GGUF file, model directory, or cached owner/name[:QUANT]")
    String model;

    @Override
    public Integer call() throws IOException {
        Path path = ModelOptions.resolve(model, false);
        try (Baleine b = Baleine.load(path, new Baleine.Options(0, Optional.empty(), WeightMemory.AS_STORED))) { // describes, does not run: nothing copied or rearranged
            describe(path, b.model().info(), b.chatTemplate().map(t -> summary(t.source())).orElse("none"),
                    "temperature " + b.defaults().temperature() + ", top_p " + b.defaults().topP());
        } catch (NoTokenizerException e) { // a bench model: described all the same
            try (DecoderModel m = Architectures.load(path, WeightMemory.AS_STORED)) {
                describe(path, m.info(), "none (no tokenizer: `bench` can measure this model, nothing can run it)", "none");
            }
        }
        return 0;
    }

    private void describe(Path path, ModelInfo i, String template, String sampling) throws IOException {
        System.out.println("model:          " + model + " (" + path + ")");
        System.out.println("architecture:   " + i.architecture() + ", " + i.format());
        System.out.println("quantization:   " + i.quantization());
        System.out.println("parameters:     " + InfoCommand.human(i.totalParameters()) + " total, "
                + InfoCommand.human(i.activeParameters()) + " active per token");
        System.out.println("context:        " + i.contextLength() + " tokens (KV cache " + InfoCommand.bytes(i.kvBytesPerToken()) + " per token)");
        System.out.println("chat template:  " + template);
        System.out.println("sampling:       " + sampling);
        System.out.println("license:        " + license(path));
        System.out.println("files:");
        Path dir = Files.isDirectory(path) ? path : path.getParent();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.sorted().toList()) {
                if (Files.isRegularFile(p) && (Files.isDirectory(path) || p.equals(path) || p.getFileName().toString().endsWith(".md"))) {
                    System.out.printf("  %-50s %10s%n", p.getFileName(), InfoCommand.bytes(Files.size(p)));
                }
            }
        }
    }

    private static String summary(String template) {
        String kind = template.contains("<｜Assistant｜>") ? "DeepSeek style" : template.contains("<|im_start|>") ? "ChatML" : "custom";
        return kind + (template.contains("<think>") ? ", opens <think>" : "") + " (" + template.length() + " characters)";
    }

    /** The {@code license:} of a model card's front matter, when there is one. */
    private static String license(Path path) throws IOException {
        Path dir = Files.isDirectory(path) ? path : path.getParent();
        Path readme = dir.resolve("README.md");
        if (Files.isRegularFile(readme)) {
            Matcher m = Pattern.compile("(?m)^license:\\s*(\\S+)").matcher(Files.readString(readme));
            if (m.find()) {
                return m.group(1);
            }
        }
        return "not stated";
    }
}
