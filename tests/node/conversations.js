// The official `twilio` package (twilio-node) run against `twilio-acs serve`.
//
// Reads SERVE_URL, TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN from the environment, does what a
// Node application does with Conversations (create, participants, messages, paging with
// each(), a media upload to the Media Content Service, a signed post-event webhook) and prints
// one JSON object describing what it saw, for tests/rest/test_twilio_node.py to check.
"use strict";

const http = require("node:http");
const twilio = require("twilio");

const serveUrl = process.env.SERVE_URL.replace(/\/$/, "");
const accountSid = process.env.TWILIO_ACCOUNT_SID;
const authToken = process.env.TWILIO_AUTH_TOKEN;

// Shown in the README and the migration guide (tests/rest/test_twilio_node.py checks they
// match): twilio-node sends every request, next pages included, through its httpClient, so a
// RequestClient that swaps Twilio's Conversations and media hosts for serve's is all it takes.
class ShimRequestClient extends twilio.RequestClient {
  constructor(serveUrl, options) {
    super(options); // RequestClient's options: timeout, ca (serve's CA over HTTPS), ...
    this.serveUrl = serveUrl;
  }

  request(opts) {
    const twilioHost = /^https:\/\/(conversations|mcs)(\.[a-z0-9-]+)*\.twilio\.com/;
    return super.request({ ...opts, uri: opts.uri.replace(twilioHost, this.serveUrl) });
  }
}

// A webhook receiver, as an application would run one: it keeps each form it is posted.
function startWebhookReceiver() {
  const hits = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      hits.push({
        signature: req.headers["x-twilio-signature"],
        params: Object.fromEntries(new URLSearchParams(body)),
      });
      res.writeHead(200).end();
    });
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      resolve({ server, hits, url: `http://127.0.0.1:${server.address().port}/hooks/conversations` });
    });
  });
}

async function waitFor(predicate, seconds) {
  for (let waited = 0; waited < seconds * 20; waited++) {
    const found = predicate();
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return undefined;
}

// Twilio's documented media upload: the raw bytes POSTed to the Media Content Service.
async function uploadMedia(chatServiceSid, bytes, contentType, filename) {
  const answer = await fetch(`${serveUrl}/v1/Services/${chatServiceSid}/Media`, {
    method: "POST",
    headers: {
      Authorization: "Basic " + Buffer.from(`${accountSid}:${authToken}`).toString("base64"),
      "Content-Type": contentType,
      "Content-Disposition": `attachment; filename="${filename}"`,
    },
    body: bytes,
  });
  return { status: answer.status, body: await answer.json() };
}

async function main() {
  const client = twilio(accountSid, authToken, { httpClient: new ShimRequestClient(serveUrl) });
  // What goes over the wire, after the rewrite: the paging checks read it.
  const requested = [];
  client.httpClient.axios.interceptors.request.use((config) => {
    requested.push(`${config.method.toUpperCase()} ${config.url}`);
    return config;
  });
  const hooks = await startWebhookReceiver();
  const result = {};
  try {
    await client.conversations.v1.configuration.webhooks().update({
      postWebhookUrl: hooks.url,
      filters: ["onMessageAdded"],
      method: "POST",
    });

    const conversation = await client.conversations.v1.conversations.create({
      friendlyName: "From Node",
    });
    result.conversation = { sid: conversation.sid, friendlyName: conversation.friendlyName };
    const messages = client.conversations.v1.conversations(conversation.sid).messages;
    const participants = client.conversations.v1.conversations(conversation.sid).participants;

    const ada = await participants.create({ identity: "ada" });
    result.participant = { sid: ada.sid, identity: ada.identity };
    try {
      await participants.create({ identity: "ada" });
      result.duplicateParticipant = "accepted";
    } catch (error) {
      result.duplicateParticipant = { status: error.status, code: error.code };
    }

    for (let i = 0; i < 5; i++) {
      await messages.create({ author: "ada", body: `m${i}`, attributes: JSON.stringify({ n: i }) });
    }
    const hooked = await messages.create({
      author: "ada",
      body: "webhook please",
      xTwilioWebhookEnabled: "true",
    });

    const firstPage = await messages.page({ pageSize: 2 });
    result.firstPage = {
      bodies: firstPage.instances.map((m) => m.body),
      nextPageUrl: firstPage.nextPageUrl,
    };
    const pagesBefore = requested.length;
    const seen = [];
    await new Promise((resolve, reject) => {
      messages.each({
        pageSize: 2,
        callback: (message) => seen.push({ index: message.index, body: message.body }),
        done: (error) => (error ? reject(error) : resolve()),
      });
    });
    result.each = {
      messages: seen,
      requests: requested.slice(pagesBefore),
    };

    const png = Buffer.from("\x89PNG\r\n\x1a\n-node-bytes", "latin1");
    const upload = await uploadMedia(conversation.chatServiceSid, png, "image/png", "node.png");
    result.upload = {
      status: upload.status,
      sid: upload.body.sid,
      size: upload.body.size,
      contentType: upload.body.content_type,
      filename: upload.body.filename,
    };
    const withMedia = await messages.create({ author: "ada", mediaSid: upload.body.sid });
    const fetched = await messages(withMedia.sid).fetch();
    result.mediaMessage = {
      body: fetched.body,
      media: (fetched.media || []).map((m) => ({ sid: m.sid, filename: m.filename })),
    };
    const content = await fetch(serveUrl + upload.body.links.content, {
      headers: {
        Authorization: "Basic " + Buffer.from(`${accountSid}:${authToken}`).toString("base64"),
      },
    });
    result.download = {
      status: content.status,
      matches: Buffer.from(await content.arrayBuffer()).equals(png),
    };

    const hit = await waitFor(
      () => hooks.hits.find((h) => h.params.MessageSid === hooked.sid),
      30,
    );
    if (hit) {
      const tampered = { ...hit.params, Body: "not what was sent" };
      result.webhook = {
        eventType: hit.params.EventType,
        body: hit.params.Body,
        conversationSid: hit.params.ConversationSid,
        valid: twilio.validateRequest(authToken, hit.signature, hooks.url, hit.params),
        tamperedValid: twilio.validateRequest(authToken, hit.signature, hooks.url, tampered),
        wrongTokenValid: twilio.validateRequest("other-token", hit.signature, hooks.url, hit.params),
      };
    } else {
      result.webhook = { missing: hooks.hits.map((h) => h.params.EventType) };
    }
  } finally {
    hooks.server.close();
  }
  process.stdout.write(JSON.stringify(result) + "\n");
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
