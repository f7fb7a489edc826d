import { fileURLToPath } from 'node:url';

/** Where `npm run build` puts the built page (index.html, app.js, styles.css); the gateway apps serve it at `/`. */
export const webRoot = fileURLToPath(new URL('./dist', import.meta.url));
