/// <reference types="vite/client" />

/** The address of the place names asset (vite.config.ts, scripts/places.mjs). */
declare const __PLACES_URL__: string;
