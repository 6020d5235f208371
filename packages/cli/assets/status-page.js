// The status page's only script: fetch /status.json, draw a card per connection, again every
// REFRESH_MS. Plain DOM, no framework and no build step, so what ships is what is read here.
'use strict';

const REFRESH_MS = 2000;

const number = (value) => (value === null || value === undefined ? '-' : value.toLocaleString('en-US'));
const seconds = (value) => (value === null || value === undefined ? '-' : `${value.toFixed(1)} s`);

/** One row of a card: a label, the text shown, and the raw value for anything that reads the page. */
function row(label, figure, text, value) {
  const tr = document.createElement('tr');
  const th = document.createElement('th');
  th.textContent = label;
  const td = document.createElement('td');
  td.dataset.figure = figure;
  td.dataset.value = value === null || value === undefined ? '' : String(value);
  td.textContent = text;
  tr.append(th, td);
  return tr;
}

function describeSubscription(subscription) {
  const named = `${subscription.state} (${subscription.id ?? '-'})`;
  return subscription.detail === subscription.state ? named : `${named}: ${subscription.detail}`;
}

function card(connection) {
  const section = document.createElement('section');
  section.className = connection.ready ? 'connection' : 'connection bad';
  section.dataset.connection = connection.name;

  const title = document.createElement('h2');
  const badge = document.createElement('span');
  badge.className = 'badge';
  badge.textContent = connection.ready ? 'OK' : 'NEEDS ATTENTION';
  title.append(connection.name, badge);
  section.append(title);

  if (connection.problems.length > 0) {
    const list = document.createElement('ul');
    list.className = 'problems';
    for (const problem of connection.problems) {
      const item = document.createElement('li');
      item.textContent = `${problem.check}: ${problem.message}`;
      list.append(item);
    }
    section.append(list);
  }

  const { events_written: written, duplicates_skipped: duplicates, subscription, rate_budget: budget, last_error: lastError } = connection;
  const table = document.createElement('table');
  table.append(
    row('Lag behind the API', 'lag', seconds(connection.lag_seconds), connection.lag_seconds),
    row('Events by webhook', 'events-webhook', number(written.webhook), written.webhook),
    row('Events by polling', 'events-poll', number(written.poll), written.poll),
    row('Duplicates skipped', 'duplicates', `${number(duplicates.webhook)} webhook, ${number(duplicates.poll)} poll`, duplicates.webhook + duplicates.poll),
    row('Bad signatures', 'bad-signatures', number(connection.bad_signatures), connection.bad_signatures),
    row('Subscription', 'subscription', subscription ? describeSubscription(subscription) : 'none (polling only)', subscription ? subscription.state : null),
    row('Rate budget', 'budget', budget && budget.remaining !== null ? `${number(budget.remaining)} of ${number(budget.limit)} left (${budget.bucket})` : '-', budget ? budget.remaining : null),
    row('API key', 'key', connection.key, connection.key),
    row('Last error', 'last-error', lastError ? `${lastError.at}: ${lastError.message}` : 'none', lastError ? lastError.message : null),
  );
  section.append(table);
  return section;
}

async function refresh() {
  try {
    const response = await fetch('/status.json', { cache: 'no-store' });
    if (!response.ok) throw new Error(`status ${response.status}`);
    const status = await response.json();
    const failing = status.connections.filter((connection) => !connection.ready).length;
    document.getElementById('connections').replaceChildren(...status.connections.map(card));
    document.getElementById('summary').textContent =
      `${status.connections.length} connection(s), ${failing === 0 ? 'all ready' : `${failing} need(s) attention`}; updated ${new Date(status.at).toLocaleTimeString()}, every ${REFRESH_MS / 1000} s.`;
    document.title = failing === 0 ? 'eventsync: ok' : `eventsync: ${failing} need attention`;
    document.body.classList.remove('stale');
  } catch {
    document.body.classList.add('stale');
  }
}

refresh();
setInterval(refresh, REFRESH_MS);
