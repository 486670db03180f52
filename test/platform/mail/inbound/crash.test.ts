import { expect } from "chai";
import { processInbound } from "../../../../src/platform/mail/inbound/pipeline.js";
import { listInbound } from "../../../../src/platform/mail/inbound/inbound-store.js";
import { Cleanup } from "../../../support/cleanup.js";
import { freePort } from "../../../support/postgres-cluster.js";
import { startServerProcess } from "../../../support/server-process.js";
import { waitFor } from "../../../support/wait.js";
import { dkim, inboundTestBed, recordingRouter, sendTo } from "./helpers.js";

describe("inbound mail: a process killed after the 250", function () {
  this.timeout(60_000);
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  it("loses nothing: the message stored before the 250 is routed once a worker runs again", async () => {
    const bed = await inboundTestBed(cleanup);
    const port = await freePort();
    const server = await startServerProcess({ DATABASE_URL: bed.url, INBOUND_SMTP_PORT: String(port), WORKER: "off" });
    cleanup.add(() => server.kill());
    await waitFor("the inbound listener", () => server.output().includes("inbound SMTP listening"));

    await sendTo(port, { dkim, messageId: "<kill-9@customer.test>", text: "Before the crash" });
    await server.kill();
    const [stored] = await listInbound(bed.db, 1);
    expect(stored).to.include({ status: "received", dedupKey: "kill-9@customer.test" });

    const { router, got } = recordingRouter(() => ({ kind: "reply", ticketId: 3 }));
    expect(await processInbound(bed.deps(router))).to.equal(1);
    expect(got.map((m) => m.text.trim())).to.deep.equal(["Before the crash"]);
    expect((await listInbound(bed.db, 1))[0]).to.include({ status: "routed", ticketId: 3 });
  });
});
