/**
 * A child process for the send benchmark: moto_server behind its write serializer, so that their
 * CPU is not counted as mailops'. Prints the S3 endpoint, stops when stdin closes.
 */
import { startMotoServer } from "../test/support/emulators.js";

const moto = await startMotoServer();
process.stdout.write(`${moto.endpoint}\n`);
process.stdin.on("end", () => {
  void moto.stop().then(() => process.exit(0));
});
process.stdin.resume();
