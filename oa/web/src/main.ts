import { createApp } from 'vue'
import { createRouter, createWebHashHistory } from 'vue-router'
import 'element-plus/theme-chalk/base.css'
import './style.css'
import App from './App.vue'
import { locale } from './lib/i18n'
import { guard } from './lib/guard'

// Hash routes: the screen pop's links are /#/customers/{id}?call=… and
// /#/customers/new?call=…, and only / is a page on the server. The first
// load is the frame (menu, notifications); every screen is a chunk of its
// own, fetched when it is opened.
const router = createRouter({
  history: createWebHashHistory('/'),
  routes: [
    { path: '/login', component: () => import('./views/Login.vue'), meta: { bare: true } },
    { path: '/', redirect: '/my' },
    { path: '/my', component: () => import('./views/MyTickets.vue') },
    { path: '/tickets', component: () => import('./views/TicketQuery.vue') },
    { path: '/tickets/new', component: () => import('./views/TicketNew.vue') },
    { path: '/tickets/:id(\\d+)', component: () => import('./views/TicketDetail.vue'), props: true },
    { path: '/contacts', component: () => import('./views/ContactQuery.vue') },
    { path: '/customers', component: () => import('./views/CustomerQuery.vue') },
    { path: '/customers/new', component: () => import('./views/CustomerCard.vue') },
    { path: '/customers/:id(\\d+)', component: () => import('./views/CustomerCard.vue'), props: true },
    { path: '/password', component: () => import('./views/Password.vue') },
    { path: '/campaigns', component: () => import('./views/Campaigns.vue') },
    { path: '/dashboard', component: () => import('./views/Dashboard.vue') },
    { path: '/knowledge', component: () => import('./views/KnowledgeSearch.vue') },
    // 统计报表: each report a route, its filters in the query (drill-downs are links).
    { path: '/reports', redirect: '/reports/traffic' },
    { path: '/reports/calls', component: () => import('./views/ReportCalls.vue') },
    { path: '/reports/:kind(traffic|tickets|ticket-handling|customers)', component: () => import('./views/Reports.vue') },
    // 知识库: browsing, reading, writing, 审核.
    { path: '/kb', component: () => import('./views/KnowledgeBrowse.vue') },
    { path: '/kb/new', component: () => import('./views/KnowledgeEdit.vue') },
    { path: '/kb/articles/:id(\\d+)', component: () => import('./views/KnowledgeArticle.vue'), props: true },
    { path: '/kb/articles/:id(\\d+)/edit', component: () => import('./views/KnowledgeEdit.vue'), props: true },
    { path: '/kb/reviews', component: () => import('./views/KnowledgeReview.vue') },
    { path: '/:rest(.*)*', redirect: '/my' },
  ],
})
router.beforeEach(guard)

document.documentElement.lang = locale.value
createApp(App).use(router).mount('#app')
