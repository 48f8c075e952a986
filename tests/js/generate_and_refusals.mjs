// Run by tests/test_js_client_live.py: `node generate_and_refusals.mjs URL TOKEN WRONG_TOKEN`, from a folder where
// `@gradio/client` resolves. One clip with the token, then the same call without a token and with the wrong one;
// one JSON line per call: the clip's address and manifest, or the Error's message and code.
import { Client } from "@gradio/client";

const [url, token, wrongToken] = process.argv.slice(2);
const app = await Client.connect(url);
const clip = { prompt: "a kite over the dunes", seconds: 1, resolution: "square", steps: 2 };

async function call(name, accessToken) {
  try {
    const { data } = await app.predict("/generate", { ...clip, access_token: accessToken });
    return { name, video: data[0].url, manifest: data[1] };
  } catch (error) {
    return { name, message: error.message, code: error.code };
  }
}

for (const [name, accessToken] of [["token", token], ["no token", ""], ["wrong token", wrongToken]]) {
  console.log(JSON.stringify(await call(name, accessToken)));
}
app.close();
process.exit(); // after a job, the client's close() leaves its heartbeat stream open (docs/api.md)
