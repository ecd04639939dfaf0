/* The web app's entry point: every screen module registers its routes, then the app starts. */
import { start } from "./app.js";
import "./home.js";
import "./people.js";
import "./accounts.js";
import "./events.js";
import "./events-registrations.js";
import "./events-results.js";
import "./alliance.js";
import "./organisations.js";
import "./memberships.js";
import "./stats.js";
import "./certificates.js";
import "./student.js";
import "./assessments.js";

start();
