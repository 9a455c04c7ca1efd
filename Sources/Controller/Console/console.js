// The console's live parts, and its only script: times in the viewer's own zone, and the event
// list growing as events are recorded (the controller's stream, read with fetch).
"use strict";

/** Rewrites each <time datetime="..."> under root in the viewer's zone (data-clock: the time of day only). */
function localTimes(root) {
  for (const time of root.querySelectorAll("time[datetime]")) {
    const date = new Date(time.getAttribute("datetime"));
    if (!isNaN(date)) time.textContent = "clock" in time.dataset ? date.toLocaleTimeString() : date.toLocaleString();
  }
}

/** A row of the event table, as the page renders one. */
function eventRow(event) {
  const row = document.createElement("tr");
  row.className = "event";
  const cells = [event.time, event.kind, event.subject || "", event.result, event.detail || "", event.actor];
  cells.forEach((value, index) => {
    const cell = document.createElement("td");
    if (index === 0) {
      const time = document.createElement("time");
      time.setAttribute("datetime", value);
      time.textContent = value;
      cell.append(time);
    } else {
      cell.textContent = value;
    }
    row.append(cell);
  });
  localTimes(row);
  return row;
}

/** Reads a stream of events (Server-Sent Events, with fetch: the session's cookie goes along)
 *  from just after `after`, calling onEvent for each; again after a break, from the last one seen. */
async function streamEvents(path, after, onEvent) {
  for (;;) {
    try {
      const url = new URL(path, location.href);
      url.searchParams.set("after", after);
      const response = await fetch(url, { headers: { Accept: "text/event-stream" } });
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block.split("\n").filter((line) => line.startsWith("data: ")).map((line) => line.slice(6)).join("\n");
          if (!data) continue;  // a keep-alive
          const event = JSON.parse(data);
          after = event.id;
          onEvent(event);
        }
      }
    } catch (error) {
      // the controller is away, or the session ended: look again shortly
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

/** The event table grows at the top as events are recorded. */
function followEvents(table) {
  streamEvents(table.dataset.stream, table.dataset.after, (event) => {
    table.querySelector("tbody").prepend(eventRow(event));
    const empty = document.querySelector(".no-events");
    if (empty) empty.remove();
  });
}

const rolloutEnds = { "deploy.finished": "Succeeded", "deploy.rolledback": "Succeeded", "deploy.failed": "Failed" };

/** A deploy's log grows at the bottom, and its status line says how the rollout ended (as the page renders it). */
function followLog(log) {
  const status = document.querySelector("[data-status]");
  streamEvents(log.dataset.log, log.dataset.after, (event) => {
    const line = document.createElement("li");
    line.dataset.kind = event.kind;
    if (event.result.startsWith("failed") && event.kind !== "command.internal") line.className = "bad";
    const time = document.createElement("time");
    time.setAttribute("datetime", event.time);
    time.dataset.clock = "";
    const kind = document.createElement("span");
    kind.className = "kind";
    kind.textContent = event.kind;
    line.append(time, " ", kind, ` ${event.subject || ""} ${event.detail || ""}`);
    localTimes(line);
    log.append(line);
    // a rollout's own steps (pruning old releases) may follow its end: only a start or an end changes the status
    const end = rolloutEnds[event.kind];
    if (end) {
      status.textContent = `${end}: ${event.detail || ""}`;
      status.className = "deploy-status " + (end === "Failed" ? "bad" : "good");
    } else if (event.kind === "deploy.started") {
      status.textContent = "Rolling out…";
      status.className = "deploy-status";
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  localTimes(document);
  const table = document.querySelector("[data-stream]");
  if (table) followEvents(table);
  const log = document.querySelector("[data-log]");
  if (log) followLog(log);
  // a change is made only once its form's question is answered yes
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
});
