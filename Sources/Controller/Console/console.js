// The console's live parts, and its only script: times in the viewer's own zone, and the event
// list growing as events are recorded (the controller's stream, read with fetch).
"use strict";

/** Rewrites each <time datetime="..."> under root in the viewer's zone. */
function localTimes(root) {
  for (const time of root.querySelectorAll("time[datetime]")) {
    const date = new Date(time.getAttribute("datetime"));
    if (!isNaN(date)) time.textContent = date.toLocaleString();
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

/** Follows the list's stream (Server-Sent Events) from its newest event; again after a break. */
async function follow(list) {
  let after = list.dataset.after;
  for (;;) {
    try {
      const url = new URL(list.dataset.stream, location.href);
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
          list.querySelector("tbody").prepend(eventRow(event));
          const empty = document.querySelector(".no-events");
          if (empty) empty.remove();
        }
      }
    } catch (error) {
      // the controller is away, or the session ended: look again shortly
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

document.addEventListener("DOMContentLoaded", () => {
  localTimes(document);
  const list = document.querySelector("[data-stream]");
  if (list) follow(list);
});
