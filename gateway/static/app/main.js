/* The web app's entry point: every screen module registers its routes, then the app starts. */
import { start } from "./app.js";
import "./home.js";
import "./assessments.js";

start();
