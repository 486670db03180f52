/**
 * The mocha hooks that give a describe block its test app: built in `beforeEach` (a fresh
 * database per test, the default) or once in `before`, closed again after, with a real SMTP
 * sink in the test process when asked. On PostgreSQL (DATABASE_URL set, as
 * `scripts/with-postgres.sh` does) each app gets a database of its own, as on SQLite.
 */
import { SmtpSink, type SinkOptions } from "./smtp-sink.js";
import { buildTestApp, type TestApp, type TestAppOptions } from "./test-app.js";

export interface UseTestAppOptions extends Omit<TestAppOptions, "env" | "smtp"> {
  /** One app for the whole describe block instead of a fresh one per test. */
  once?: boolean;
  /** Mail goes to a real SMTP server in the test process (`t.sink`), started before the app and stopped after it. */
  smtp?: true | SinkOptions;
  /** The app's environment; a function of the sink when it must name the sink's port. */
  env?: Record<string, string> | ((sink: SmtpSink) => Record<string, string>);
}

/** The test app of the current test, its fields set in the hook; `sink` is its SMTP server. */
export type TestAppHolder = TestApp & { readonly sink: SmtpSink };

export function useTestApp(options: UseTestAppOptions = {}): TestAppHolder {
  const { once = false, smtp, env, ...appOptions } = options;
  const sink = smtp ? new SmtpSink(smtp === true ? {} : smtp) : undefined;
  const holder = {} as TestAppHolder;
  Object.defineProperty(holder, "sink", {
    get: () => {
      if (!sink) throw new Error("this test app has no SMTP sink: useTestApp({ smtp: true })");
      return sink;
    },
  });
  let built = false;

  (once ? before : beforeEach)(async () => {
    if (sink) {
      sink.forget();
      await sink.start();
    }
    Object.assign(holder, await buildTestApp({ ...appOptions, env: typeof env === "function" ? env(sink!) : env, smtp: sink }));
    built = true;
  });

  (once ? after : afterEach)(async () => {
    // The app first: its transport holds connections to the sink. Closing through the holder
    // closes whatever app a test put in it (one that restarts the app with another config).
    if (built) await holder.close();
    built = false;
    await sink?.stop();
  });

  return holder;
}
