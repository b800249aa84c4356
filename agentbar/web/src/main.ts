import { createApp } from 'vue'
import { createRouter, createWebHistory } from 'vue-router'
import 'element-plus/theme-chalk/base.css'
import './style.css'
import App from './App.vue'
import AgentBar from './views/AgentBar.vue'
import { locale } from './lib/i18n'

// The agent bar is the first load; the wallboard is a chunk of its own,
// fetched only on /wallboard/.
const router = createRouter({
  history: createWebHistory('/'),
  routes: [
    { path: '/agent/', component: AgentBar },
    { path: '/wallboard/', component: () => import('./views/Wallboard.vue') },
    { path: '/:rest(.*)*', redirect: '/agent/' },
  ],
})

document.documentElement.lang = locale.value
createApp(App).use(router).mount('#app')
