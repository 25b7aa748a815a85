// views/shell.js: the signed-in layout: top bar (sound, status, who, logout), the reconnecting
// banner, the sidebar (tabs, lists, supervisor's team panel), the chat pane and toasts.
// On narrow screens the sidebar and the chat stack: one shows at a time.

import { h, bidi, icon, replaceChildren } from '../dom.js';
import { store, isSupervisor } from '../state.js';
import { capitalize, STATUS_LABELS } from '../format.js';
import { isMuted, setMuted, unlockAudio, notificationPermission, requestNotifications } from '../notify.js';
import { SessionListView } from './session-list.js';
import { HistoryView } from './history.js';
import { OfflineView } from './offline.js';
import { AgentsPanel } from './agents-panel.js';
import { OverviewPanel } from './overview-panel.js';
import { TeamsAdminView } from './teams-admin.js';
import { ChatView } from './chat.js';
import { ReportsView } from './reports.js';
import { newConversationButton } from './new-conversation.js';

const TABS = [
  { id: 'waiting', label: 'Waiting', testid: 'tab-waiting' },
  { id: 'mine', label: 'My chats', testid: 'tab-mine' },
  { id: 'all', label: 'All', testid: 'tab-all', supervisor: true },
  { id: 'history', label: 'History', testid: 'tab-history' },
  { id: 'offline', label: 'Offline', testid: 'tab-offline' },
  { id: 'reports', label: 'Reports', testid: 'tab-reports', supervisor: true },
  { id: 'teams', label: 'Teams', testid: 'tab-teams', admin: true },
];

export class Shell {
  constructor(root, ctx) {
    this.root = root;
    this.ctx = ctx;
    this.build();
    this.unsubscribe = store.subscribe((topics) => this.update(topics));
    this.update(new Set(['all']));
  }

  build() {
    const ctx = this.ctx;
    // Top bar.
    this.soundButton = h('button', { type: 'button', class: 'icon-btn', 'data-testid': 'sound-toggle', onclick: () => this.toggleSound() });
    // Desktop notifications need permission, asked on this click (a user gesture).
    this.notifyButton = h('button', {
      type: 'button', class: 'btn btn-small notify-btn', 'data-testid': 'notify-enable', hidden: true,
      title: 'Desktop notifications for new waiting customers and messages in chats you are not viewing',
      onclick: async () => {
        await requestNotifications();
        this.renderSound();
      },
    }, 'Enable notifications');
    this.statusSelect = h('select', { class: 'status-select', id: 'status-select', 'data-testid': 'status-select' },
      ...['online', 'away', 'offline'].map((s) => h('option', { value: s }, STATUS_LABELS[s])));
    this.statusSelect.addEventListener('change', () => ctx.actions.setStatus(this.statusSelect.value));
    this.statusDot = h('span', { class: 'status-dot', 'aria-hidden': 'true' });
    this.meName = bidi('span', '', 'me-name');
    this.meRole = h('span', { class: 'me-role' });
    this.logout = h('button', { type: 'button', class: 'btn btn-ghost', 'data-testid': 'logout', onclick: () => ctx.actions.logout() }, 'Log out');
    const topbar = h('header', { class: 'topbar' },
      h('h1', { class: 'brand' }, icon('logo', 'brand-logo'), h('span', { class: 'brand-name' }, 'handoffd'),
        h('span', { class: 'visually-hidden' }, ' agent dashboard')),
      h('div', { class: 'topbar-right' },
        this.notifyButton,
        this.soundButton,
        h('div', { class: 'status-control' },
          h('label', { for: 'status-select', class: 'visually-hidden' }, 'Your status'),
          this.statusDot, this.statusSelect),
        h('div', { class: 'me' }, this.meName, this.meRole),
        this.logout));

    this.banner = h('div', { class: 'banner', 'data-testid': 'reconnecting-banner', role: 'status', hidden: true },
      h('span', { class: 'spinner', 'aria-hidden': 'true' }),
      h('span', {}, 'Reconnecting… Live updates are paused and will catch up automatically.'));

    // Tabs.
    this.tabButtons = new Map();
    this.tabCounts = new Map();
    this.tablist = h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Session lists' });
    for (const tab of TABS) {
      const count = h('span', { class: 'tab-count', 'data-testid': `${tab.testid}-count`, hidden: true });
      const button = h('button', {
        type: 'button', role: 'tab', class: 'tab', id: `tab-${tab.id}`, 'data-testid': tab.testid,
        'aria-controls': 'sidebar-panel', 'aria-selected': 'false', tabindex: '-1',
        onclick: () => ctx.actions.selectTab(tab.id),
      }, h('span', {}, tab.label), count);
      this.tabButtons.set(tab.id, button);
      this.tabCounts.set(tab.id, count);
      this.tablist.append(button);
    }
    this.tablist.addEventListener('keydown', (e) => this.onTabKey(e));

    this.listView = new SessionListView(ctx);
    this.historyView = new HistoryView(ctx);
    this.offlineView = new OfflineView((n) => this.setCount('offline', n, n === 1 ? '1 unhandled' : `${n} unhandled`));
    this.panel = h('div', { class: 'sidebar-panel', id: 'sidebar-panel', role: 'tabpanel', tabindex: '-1' });
    this.teamsView = new TeamsAdminView(ctx);
    this.agentsPanel = new AgentsPanel();
    this.overviewPanel = new OverviewPanel();
    this.sidebar = h('nav', { class: 'sidebar', 'aria-label': 'Conversations' }, this.tablist,
      h('div', { class: 'sidebar-actions' }, newConversationButton((id) => { location.hash = `#/waiting/${id}`; })), this.panel,
      this.overviewPanel.el, this.agentsPanel.el);

    this.chatView = new ChatView(ctx);
    this.reportsView = new ReportsView();
    this.reportsNote = h('p', { class: 'list-status' }, 'Reports cover the sessions created in the range, by UTC day.');
    this.workspace = h('main', { class: 'workspace' }, this.sidebar, this.chatView.el, this.reportsView.el);

    this.toasts = h('div', { class: 'toasts', 'aria-live': 'polite' });
    this.el = h('div', { class: 'shell' }, topbar, this.banner, this.workspace, this.toasts);
    replaceChildren(this.root, this.el);
  }

  visibleTabs() {
    const sup = isSupervisor(store.me);
    const admin = store.me?.role === 'admin';
    return TABS.filter((t) => (!t.supervisor || sup) && (!t.admin || admin));
  }

  onTabKey(e) {
    const tabs = this.visibleTabs();
    const current = tabs.findIndex((t) => t.id === this.ctx.route.tab);
    let next = null;
    if (e.key === 'ArrowRight') next = (current + 1) % tabs.length;
    else if (e.key === 'ArrowLeft') next = (current - 1 + tabs.length) % tabs.length;
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = tabs.length - 1;
    if (next === null) return;
    e.preventDefault();
    this.ctx.actions.selectTab(tabs[next].id);
    this.tabButtons.get(tabs[next].id).focus();
  }

  toggleSound() {
    setMuted(!isMuted());
    unlockAudio();
    this.renderSound();
  }

  renderSound() {
    const muted = isMuted();
    this.soundButton.setAttribute('aria-pressed', muted ? 'true' : 'false');
    this.soundButton.setAttribute('aria-label', 'Mute notification sound');
    this.soundButton.title = muted ? 'Sound is off' : 'Sound is on';
    replaceChildren(this.soundButton, icon(muted ? 'bellOff' : 'bell'));
    this.notifyButton.hidden = notificationPermission() !== 'default';
  }

  renderMe() {
    const me = store.me;
    if (!me) return;
    this.meName.textContent = me.name;
    this.meRole.textContent = capitalize(me.role);
    if (this.statusSelect.value !== me.status) this.statusSelect.value = me.status;
    this.statusDot.className = `status-dot status-dot--${me.status}`;
    this.agentsPanel.el.hidden = !isSupervisor(me);
    this.overviewPanel.el.hidden = !isSupervisor(me);
    if (isSupervisor(me)) this.overviewPanel.start();
    else this.overviewPanel.stop();
  }

  renderTabs() {
    const route = this.ctx.route;
    const visible = new Set(this.visibleTabs().map((t) => t.id));
    for (const [id, button] of this.tabButtons) {
      const selected = id === route.tab;
      button.hidden = !visible.has(id);
      button.setAttribute('aria-selected', selected ? 'true' : 'false');
      button.tabIndex = selected ? 0 : -1;
    }
    this.panel.setAttribute('aria-labelledby', `tab-${route.tab}`);
    const waiting = store.waitingSessions().length;
    const mine = store.myChats();
    const mineUnread = mine.reduce((n, s) => n + store.unreadOf(s.id), 0);
    this.setCount('waiting', waiting, waiting === 1 ? '1 waiting' : `${waiting} waiting`);
    this.setCount('mine', mine.length, `${mine.length} active${mineUnread ? `, ${mineUnread} unread` : ''}`, mineUnread > 0);
    const waitingUnread = store.waitingSessions().some((s) => store.unreadOf(s.id) > 0);
    this.tabCounts.get('waiting').classList.toggle('is-alert', waitingUnread);
  }

  setCount(tab, n, label, alert = false) {
    const el = this.tabCounts.get(tab);
    el.textContent = n > 0 ? String(n) : '';
    el.hidden = n === 0;
    el.title = label;
    el.classList.toggle('is-alert', alert);
  }

  /** Shows the route: which tab's content, which chat, and on narrow screens which of the two. */
  renderRoute(prevRoute) {
    const route = this.ctx.route;
    const reports = route.tab === 'reports';
    const content = route.tab === 'history' ? this.historyView : route.tab === 'offline' ? this.offlineView
      : route.tab === 'teams' ? this.teamsView : reports ? { el: this.reportsNote } : this.listView;
    if (this.panel.firstChild !== content.el) replaceChildren(this.panel, content.el);
    if (route.tab === 'history') this.historyView.ensureLoaded();
    else if (route.tab === 'offline') this.offlineView.load();
    else if (route.tab === 'teams') this.teamsView.ensureLoaded();
    else if (!reports) this.listView.setMode(route.tab);
    this.chatView.el.hidden = reports;
    this.reportsView.show(reports);
    this.workspace.classList.toggle('is-reports', reports);
    this.chatView.setSession(route.sessionId);
    this.workspace.dataset.view = route.sessionId != null ? 'chat' : 'list';
    this.el.dataset.view = this.workspace.dataset.view; // narrow screens: the top bar folds away in a chat
    if (prevRoute && this.isNarrow()) {
      if (route.sessionId != null && prevRoute.sessionId !== route.sessionId) this.chatView.focusTitle();
      else if (route.sessionId == null && prevRoute.sessionId != null) {
        const item = this.panel.querySelector(`[data-testid="session-item"][data-session-id="${prevRoute.sessionId}"]`);
        (item || this.tabButtons.get(route.tab)).focus();
      }
    }
  }

  isNarrow() {
    return window.matchMedia('(max-width: 720px)').matches;
  }

  update(topics) {
    if (topics.has('all')) this.offlineView.load();
    if (topics.has('all') || topics.has('me')) {
      this.renderMe();
      this.renderSound();
    }
    if (topics.has('all') || topics.has('connection')) {
      this.banner.hidden = store.connection !== 'reconnecting';
    }
    this.renderTabs();
    this.listView.update(topics);
    this.historyView.update(topics);
    this.reportsView.update(topics);
    if (isSupervisor(store.me)) {
      this.agentsPanel.update(topics);
      this.overviewPanel.update(topics);
    }
    this.teamsView.update(topics);
    this.chatView.update(topics);
  }

  /** A short message at the bottom of the screen. kind: 'info' | 'error'. */
  toast(text, kind = 'info') {
    const el = h('div', { class: `toast toast--${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
    this.toasts.append(el);
    setTimeout(() => el.remove(), kind === 'error' ? 7000 : 4000);
  }

  destroy() {
    this.overviewPanel.stop();
    this.unsubscribe();
    this.root.replaceChildren();
  }
}
