package baleine.cli;

import baleine.api.Baleine;
import baleine.server.BaleineServer;
import baleine.server.ServerConfig;
import baleine.writer.DemoModel;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class PsCommandTest {
    @Test
    void psShowsTheServedModelAndItsLoad() throws Exception {
        Path model = DemoModel.ensure(DemoModel.cacheDirectory());
        try (BaleineServer server = new BaleineServer(new ServerConfig("127.0.0.1", 0, 2, 1024, 8, null, List.of(), "demo", 1 << 20, 1000, 0, 0),
                () -> Baleine.load(model))) {
            server.awaitLoaded();
            CliTest.Run r = CliTest.run("ps", "--url", "http://127.0.0.1:" + server.port());
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.out()).contains("MODEL", "RUNNING", "demo");
        }
        CliTest.Run down = CliTest.run("ps", "--url", "http://127.0.0.1:1");
        assertThat(down.exit()).isNotZero();
        assertThat(down.err()).contains("no server answers");
    }
}
