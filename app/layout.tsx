import type { Metadata } from "next";
import type { ReactNode } from "react";
import { Providers } from "./_lib/trpc";
import { TopBar } from "./_components/top-bar";
import "./globals.css";

export const metadata: Metadata = {
  title: "Statescope",
  description: "Explore the hidden-state dynamics of recurrent neural networks, together.",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <Providers>
          <TopBar />
          {children}
        </Providers>
      </body>
    </html>
  );
}
